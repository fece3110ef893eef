import { apiRoute } from "@/server/http-api/api-response";
import { handleEventsRequest } from "@/server/http-api/events-request";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/** Ingests one CloudEvent or a batch; 202 only after JetStream stored every event (see ingest.ts). */
export const POST = apiRoute((request) => handleEventsRequest(request));

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
