import "server-only";
import { readCredentialSecret } from "../../credentials/credential-store";
import { evaluateExpression } from "../../expressions/evaluate-expression";
import { asKey } from "../../expressions/evaluate-key";
import { kafkaClientConfig, parseBrokers } from "../../connectors/kafka/kafka-connection";
import { produceIdempotent } from "../../connectors/kafka/kafka-producer";
import { PermanentError } from "../../outbound/execution-errors";
import { interceptIfDryRun } from "../../outbound/dry-run";
import { defineExecutor } from "../define-executor";
import { produceKafkaNode } from "./definition";

// Produces with an idempotent producer: a send kafkajs repeats after a lost answer is stored once.
// A retry of the step is a new send; the header syncline-idempotency-key (the same on every retry)
// lets consumers drop such a repeat (docs/decisions/0025-kafka-source-and-target.md).
export const produceKafkaExecutor = defineExecutor(produceKafkaNode, async ({ config, event, steps, idempotencyKey, traceparent, services, reach }) => {
  let brokers: string[];
  try {
    brokers = parseBrokers(config.brokers);
  } catch (error) {
    throw new PermanentError((error as Error).message);
  }
  if (!config.topic) throw new PermanentError("Enter the topic to produce to.");
  let credential;
  if (config.credentialId) {
    if (!services.db) throw new PermanentError("Producing to Kafka with a credential needs the database to read it.");
    credential = await readCredentialSecret(services.db, config.credentialId);
    if (credential.type !== "kafka") throw new PermanentError(`The credential "${credential.name}" is a ${credential.type} credential; choose a Kafka one.`);
  }
  let client;
  try {
    client = kafkaClientConfig(brokers, credential);
  } catch (error) {
    throw new PermanentError((error as Error).message);
  }
  const key = asKey(await evaluateExpression(config.key, { event, steps }));
  if (key === undefined) throw new PermanentError("The key expression gave no value for this event.");
  const value = await evaluateExpression(config.value, { event, steps });
  // Not HTTP, so not through sendRequest: a dry run records the produce it would make and stops
  // here (docs/decisions/0017).
  interceptIfDryRun({
    method: "PRODUCE",
    url: Object.assign(new URL(`kafka://${brokers[0]}/${encodeURIComponent(config.topic)}`), { search: new URLSearchParams({ key }).toString() }),
    headers: { traceparent, "syncline-idempotency-key": idempotencyKey, "idempotency-key": idempotencyKey, "content-type": "application/json" },
    body: JSON.stringify(value ?? null),
  });
  const produced = await reach(() => produceIdempotent(`${brokers.join(",")}|${config.credentialId}`, client, {
    topic: config.topic,
    key,
    value: Buffer.from(JSON.stringify(value ?? null)),
    headers: { traceparent, "syncline-idempotency-key": idempotencyKey, "content-type": "application/json" },
  }));
  return { output: { topic: config.topic, key, partition: produced.partition, offset: produced.offset } };
}, { outsideSystem: (config) => (config.credentialId ? { kind: "credential", id: config.credentialId } : null) });
