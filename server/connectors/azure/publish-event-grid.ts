import "server-only";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";

// Publishes to an Event Grid topic with @azure/eventgrid, authenticated by the topic's access key
// (aeg-sas-key) or a SAS token (aeg-sas-token). The client does not retry (the runtime does): 5xx,
// 429 and no answer are an outage, other 4xx (a bad key, a schema the topic does not take) are
// permanent.

export interface EventGridTopic {
  endpoint: string;
  authentication: "key" | "sas";
  secret: string;
}

export interface OutgoingEvent {
  id: string;
  type: string;
  subject: string;
  source: string;
  data: unknown;
}

function classify(error: unknown): Error {
  const status = (error as { statusCode?: number }).statusCode;
  const message = error instanceof Error ? error.message : String(error);
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    return new PermanentError(`Event Grid refused the event (${status}): ${message}`, { cause: error });
  }
  return new TransientError(`Event Grid is unreachable or failed (${status ?? "no answer"}): ${message}`, { systemDown: true, cause: error });
}

export async function publishToEventGrid(topic: EventGridTopic, schema: "CloudEvent" | "EventGrid", event: OutgoingEvent, signal?: AbortSignal): Promise<void> {
  // Loaded on first use: most workers never run this node, and the SDK costs the process memory (docs/decisions/0031).
  const { AzureKeyCredential, AzureSASCredential, EventGridPublisherClient } = await import("@azure/eventgrid");
  const credential = topic.authentication === "sas" ? new AzureSASCredential(topic.secret) : new AzureKeyCredential(topic.secret);
  let url: URL;
  try {
    url = new URL(topic.endpoint);
  } catch {
    throw new PermanentError(`The topic endpoint "${topic.endpoint}" is not a URL.`);
  }
  // Plain http only to this machine (a local emulator or test endpoint): keys never cross a network unencrypted.
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) throw new PermanentError("The topic endpoint must be an https:// URL.");
  const clientOptions = { retryOptions: { maxRetries: 0 }, allowInsecureConnection: url.protocol === "http:" };
  try {
    if (schema === "CloudEvent") {
      const client = new EventGridPublisherClient(topic.endpoint, "CloudEvent", credential, clientOptions);
      await client.send([{ id: event.id, type: event.type, source: event.source, subject: event.subject, data: event.data }], { abortSignal: signal });
    } else {
      const client = new EventGridPublisherClient(topic.endpoint, "EventGrid", credential, clientOptions);
      await client.send([{ id: event.id, eventType: event.type, subject: event.subject, dataVersion: "1.0", data: event.data }], { abortSignal: signal });
    }
  } catch (error) {
    throw classify(error);
  }
}
