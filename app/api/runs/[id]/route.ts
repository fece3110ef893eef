import { db } from "@/server/db/client";
import { apiRoute, jsonResponse } from "@/server/http-api/api-response";
import { getRun } from "@/server/history/run-history";

export const dynamic = "force-dynamic";

/** One run with its steps. */
export const GET = apiRoute<{ id: string }>(async (_request, { params }) => jsonResponse(await getRun(db(), params.id)));
