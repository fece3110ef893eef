import "server-only";
import { readCredentialSecret } from "../../credentials/credential-store";
import { evaluateExpression } from "../../expressions/evaluate-expression";
import { asKey } from "../../expressions/evaluate-key";
import { putEvents } from "../../connectors/aws/put-events";
import { PermanentError } from "../../outbound/execution-errors";
import { interceptIfDryRun } from "../../outbound/dry-run";
import { defineExecutor } from "../define-executor";
import { putEventBridgeNode } from "./definition";

// One PutEvents entry per run of the step. EventBridge has no idempotency key for PutEvents: a
// retry after a lost answer can put the event twice, so rules' targets should deduplicate on
// detail.syncline.idempotencyKey, which every entry carries.
export const putEventBridgeExecutor = defineExecutor(putEventBridgeNode, async ({ config, event, steps, idempotencyKey, signal, services, reach }) => {
  if (!services.db) throw new PermanentError("Putting events on EventBridge needs the database to read the credential.");
  const credential = await readCredentialSecret(services.db, config.credentialId);
  if (credential.type !== "aws") throw new PermanentError(`The credential "${credential.name}" is a ${credential.type} credential; choose an AWS access key.`);
  const region = typeof credential.settings.region === "string" ? credential.settings.region.trim() : "";
  if (!region) throw new PermanentError(`The credential "${credential.name}" has no region.`);
  const endpoint = typeof credential.settings.endpoint === "string" ? credential.settings.endpoint.trim() : "";
  const detailType = asKey(await evaluateExpression(config.detailType, { event, steps }));
  if (!detailType) throw new PermanentError("The detail type expression gave no value for this event.");
  const detail = await evaluateExpression(config.detail, { event, steps });
  const body = detail && typeof detail === "object" && !Array.isArray(detail) ? { ...detail, syncline: { idempotencyKey } } : { value: detail ?? null, syncline: { idempotencyKey } };
  const entries = [{ EventBusName: config.eventBusName, Source: config.source, DetailType: detailType, Detail: JSON.stringify(body) }];
  // The AWS SDK sends its own request, not through sendRequest: a dry run records it here (docs/decisions/0017).
  interceptIfDryRun({
    method: "POST",
    url: new URL(endpoint || `https://events.${region}.amazonaws.com/`),
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSEvents.PutEvents", "idempotency-key": idempotencyKey },
    body: JSON.stringify({ Entries: entries }),
  });
  const { eventIds } = await reach(() => putEvents(
    { accessKeyId: credential.secret.accessKeyId!, secretAccessKey: credential.secret.secretAccessKey!, region, endpoint },
    entries,
    signal,
  ));
  return { output: { eventId: eventIds[0] ?? "" } };
}, { outsideSystem: (config) => ({ kind: "credential", id: config.credentialId }) });
