import { after } from "next/server";
import { apiRoute } from "@/server/http-api/api-response";
import { handleEventsRequest } from "@/server/http-api/events-request";
import { env } from "@/server/env";
import { drainAfterIngest } from "@/server/runtime/serverless-drain";

export const dynamic = "force-dynamic";
// Vercel ends the function (and its after() work) here; SYNCLINE_INGEST_DRAIN_BUDGET_MS stays below it.
export const maxDuration = 60;

/** Ingests one CloudEvent or a batch; 202 only after JetStream stored every event (see ingest.ts). */
export const POST = apiRoute((request) =>
  handleEventsRequest(request, {
    // Serverless mode: no worker runs, so the function moves the events it just accepted.
    onAccepted: (orderingKeys) => {
      if (env().SYNCLINE_WORKER === "off") after(() => drainAfterIngest(orderingKeys));
    },
  }),
);
