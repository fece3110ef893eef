import "server-only";
import { defineExecutor } from "../define-executor";
import { webhookTrigger } from "./definition";

// The ingest endpoint already checked the signature and built the event from the call: the
// trigger only hands it on.
export const webhookExecutor = defineExecutor(webhookTrigger, async ({ event }) => ({
  output: event as never,
}));
