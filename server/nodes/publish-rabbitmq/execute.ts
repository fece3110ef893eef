import "server-only";
import { readCredentialSecret } from "../../credentials/credential-store";
import { evaluateExpression } from "../../expressions/evaluate-expression";
import { asKey } from "../../expressions/evaluate-key";
import { publishConfirmed } from "../../connectors/rabbitmq/confirm-publisher";
import { PermanentError } from "../../outbound/execution-errors";
import { interceptIfDryRun } from "../../outbound/dry-run";
import { defineExecutor } from "../define-executor";
import { publishRabbitmqNode } from "./definition";

// Publishes with publisher confirms; message_id is the step's idempotency key, the same on every
// retry, so a consumer that deduplicates by it sees a retried publish once.
export const publishRabbitmqExecutor = defineExecutor(publishRabbitmqNode, async ({ config, event, steps, idempotencyKey, traceparent, services, reach }) => {
  if (!services.db) throw new PermanentError("Publishing to RabbitMQ needs the database to read the credential.");
  const credential = await readCredentialSecret(services.db, config.credentialId);
  if (credential.type !== "rabbitmq") throw new PermanentError(`The credential "${credential.name}" is a ${credential.type} credential; choose a RabbitMQ (AMQP) one.`);
  const url = credential.secret.url;
  if (!url) throw new PermanentError(`The credential "${credential.name}" has no AMQP URL.`);
  const routingKey = asKey(await evaluateExpression(config.routingKey, { event, steps }));
  if (routingKey === undefined) throw new PermanentError("The routing key expression gave no value for this event.");
  const body = await evaluateExpression(config.body, { event, steps });
  // Not HTTP, so not through sendRequest: a dry run records the publish it would make (the URL's
  // user and password masked) and stops here (docs/decisions/0017).
  interceptIfDryRun({
    method: "PUBLISH",
    url: Object.assign(new URL(url), { search: new URLSearchParams({ exchange: config.exchange, routingKey }).toString() }),
    headers: { "message-id": idempotencyKey, "idempotency-key": idempotencyKey, traceparent },
    body: JSON.stringify(body ?? null),
  });
  await reach(() => publishConfirmed(url, {
    exchange: config.exchange,
    routingKey,
    body: Buffer.from(JSON.stringify(body ?? null)),
    messageId: idempotencyKey,
    headers: { traceparent },
  }));
  return { output: { exchange: config.exchange, routingKey, messageId: idempotencyKey } };
}, { outsideSystem: (config) => ({ kind: "credential", id: config.credentialId }) });
