import "server-only";
import { readCredentialSecret } from "../../credentials/credential-store";
import { evaluateExpression } from "../../expressions/evaluate-expression";
import { asKey } from "../../expressions/evaluate-key";
import { publishToEventGrid } from "../../connectors/azure/publish-event-grid";
import { PermanentError } from "../../outbound/execution-errors";
import { interceptIfDryRun } from "../../outbound/dry-run";
import { defineExecutor } from "../define-executor";
import { publishEventGridNode } from "./definition";

// The event id is the step's idempotency key, the same on every retry, so subscribers that
// deduplicate by id see a retried publish once.
export const publishEventGridExecutor = defineExecutor(publishEventGridNode, async ({ config, event, steps, idempotencyKey, signal, services, reach }) => {
  if (!services.db) throw new PermanentError("Publishing to Event Grid needs the database to read the credential.");
  const credential = await readCredentialSecret(services.db, config.credentialId);
  if (credential.type !== "eventgrid") throw new PermanentError(`The credential "${credential.name}" is a ${credential.type} credential; choose an Azure Event Grid topic.`);
  const endpoint = typeof credential.settings.endpoint === "string" ? credential.settings.endpoint.trim() : "";
  if (!endpoint) throw new PermanentError(`The credential "${credential.name}" has no topic endpoint.`);
  const type = asKey(await evaluateExpression(config.eventType, { event, steps }));
  const subject = asKey(await evaluateExpression(config.subject, { event, steps }));
  if (!type || !subject) throw new PermanentError(`The ${type ? "subject" : "event type"} expression gave no value for this event.`);
  const data = await evaluateExpression(config.data, { event, steps });
  // @azure/eventgrid sends its own request, not through sendRequest: a dry run records it here (docs/decisions/0017).
  let endpointUrl: URL;
  try {
    endpointUrl = new URL(endpoint);
  } catch {
    throw new PermanentError(`The topic endpoint "${endpoint}" is not a URL.`);
  }
  interceptIfDryRun({
    method: "POST",
    url: endpointUrl,
    headers: { "content-type": config.schema === "CloudEvent" ? "application/cloudevents-batch+json" : "application/json", "idempotency-key": idempotencyKey },
    body: JSON.stringify([{ id: idempotencyKey, type, subject, source: "syncline", data: data ?? null }]),
  });
  await reach(() => publishToEventGrid({ endpoint, authentication: config.authentication, secret: credential.secret.accessKey! }, config.schema, { id: idempotencyKey, type, subject, source: "syncline", data: data ?? null }, signal));
  return { output: { id: idempotencyKey } };
}, { outsideSystem: (config) => ({ kind: "credential", id: config.credentialId }) });
