import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http/api-response";
import { apiRoute } from "@/server/http/api-route";
import { getRun } from "@/server/runtime/run-history";

export const dynamic = "force-dynamic";

/** One run with its steps. */
export const GET = apiRoute<{ id: string }>({ role: "viewer", scope: "read" }, async (_request, { params }) => jsonResponse(await getRun(db(), params.id)));
