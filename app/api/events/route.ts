import { apiRoute } from "@/server/http/api-route";
import { handleEventsRequest } from "@/server/events/ingest";

export const dynamic = "force-dynamic";

/** Ingests one CloudEvent or a batch; 202 only after JetStream stored every event (see ingest.ts). */
export const POST = apiRoute({ role: "editor", scope: "events:write" }, (request) => handleEventsRequest(request));
