import { describe, expect, it } from "vitest";
import { kafkaClientConfig, parseBrokers } from "./kafka-connection";

describe("Kafka connection settings", () => {
  it("reads a comma-separated broker list and says what is wrong with a bad one", () => {
    expect(parseBrokers(" kafka-1.example.com:9092, 10.0.0.2:9093 ")).toEqual(["kafka-1.example.com:9092", "10.0.0.2:9093"]);
    expect(() => parseBrokers("")).toThrow(/at least one broker/);
    expect(() => parseBrokers("kafka-1.example.com")).toThrow(/"kafka-1.example.com" is not host:port/);
  });

  it("connects in plaintext without a credential, and with one only with SASL over TLS", () => {
    const plain = kafkaClientConfig(["a:9092"], undefined);
    expect(plain.ssl).toBeUndefined();
    expect(plain.sasl).toBeUndefined();
    const signed = kafkaClientConfig(["a:9092"], { name: "Cloud", settings: { mechanism: "SCRAM-SHA-512" }, secret: { username: "u", password: "p" } });
    expect(signed.ssl).toBe(true);
    expect(signed.sasl).toEqual({ mechanism: "scram-sha-512", username: "u", password: "p" });
    expect(kafkaClientConfig(["a:9092"], { name: "Cloud", settings: {}, secret: { username: "u", password: "p" } }).sasl).toMatchObject({ mechanism: "plain" });
    expect(() => kafkaClientConfig(["a:9092"], { name: "Cloud", settings: { mechanism: "gssapi" }, secret: { username: "u", password: "p" } })).toThrow(/plain, scram-sha-256 or scram-sha-512/);
  });
});
