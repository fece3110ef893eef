import { db } from "@/server/db/client";
import { apiRoute, jsonResponse } from "@/server/http-api/api-response";
import { discardDeadLetter, getDeadLetter } from "@/server/history/dead-letter-store";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/** One dead letter with its event, headers and every attempt. */
export const GET = apiRoute<{ id: string }>(async (_request, { params }) => jsonResponse(await getDeadLetter(db(), params.id)));

/** Discards the dead letter (the event will not run in this flow); later events of its key go on. */
export const DELETE = apiRoute<{ id: string }>(async (_request, { params }) => {
  await discardDeadLetter(db(), params.id);
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
});

export const { POST, PUT, PATCH } = methodNotAllowed("GET", "DELETE");
