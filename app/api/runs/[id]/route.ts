import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { getRun } from "@/server/history/run-history";

export const dynamic = "force-dynamic";

/** One run with its steps. */
export const GET = apiRoute<{ id: string }>({ role: "viewer", scope: "read" }, async (_request, { params }) => jsonResponse(await getRun(db(), params.id)));
export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
