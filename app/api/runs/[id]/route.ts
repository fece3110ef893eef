import { db } from "@/server/db/client";
import { apiRoute, jsonResponse } from "@/server/http-api/api-response";
import { getRun } from "@/server/history/run-history";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/** One run with its steps. */
export const GET = apiRoute<{ id: string }>(async (_request, { params }) => jsonResponse(await getRun(db(), params.id)));

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
