import "server-only";
import type { KafkaConfig, SASLOptions } from "kafkajs";
import { BROKER_PATTERN } from "./broker-list";

// How Syncline reaches a Kafka cluster (docs/decisions/0025-kafka-source-and-target.md): bootstrap
// brokers as "host:port" separated by commas, and an optional Kafka credential. Without one the
// connection is plaintext and unauthenticated (a private network); with one it is SASL (PLAIN or
// SCRAM) over TLS, never SASL in the clear.

export interface KafkaCredential {
  name: string;
  settings: Record<string, unknown>;
  secret: Record<string, string>;
}

const mechanisms = ["plain", "scram-sha-256", "scram-sha-512"] as const;

/** "a:9092, b:9092" → ["a:9092", "b:9092"]; throws a sentence for anything else. */
export function parseBrokers(text: string): string[] {
  const brokers = text.split(",").map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new Error("Enter at least one broker as host:port, e.g. kafka-1.example.com:9092");
  for (const broker of brokers) {
    if (!BROKER_PATTERN.test(broker)) throw new Error(`"${broker}" is not host:port, e.g. kafka-1.example.com:9092`);
  }
  return brokers;
}

export function kafkaClientConfig(brokers: string[], credential: KafkaCredential | undefined, clientId = "syncline"): KafkaConfig {
  const base: KafkaConfig = { clientId, brokers, logLevel: 0 /* kafkajs logLevel.NOTHING; a type-only import keeps kafkajs unloaded until a producer opens (docs/decisions/0031) */, connectionTimeout: 5_000, requestTimeout: 15_000 };
  if (!credential) return base;
  const mechanism = String(credential.settings.mechanism ?? "plain").trim().toLowerCase() || "plain";
  if (!(mechanisms as readonly string[]).includes(mechanism)) {
    throw new Error(`The credential "${credential.name}" names the SASL mechanism "${mechanism}"; use plain, scram-sha-256 or scram-sha-512.`);
  }
  const { username, password } = credential.secret;
  if (!username || !password) throw new Error(`The credential "${credential.name}" needs a user name and a password.`);
  return { ...base, ssl: true, sasl: { mechanism, username, password } as SASLOptions };
}
