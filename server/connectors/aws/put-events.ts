import "server-only";
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";

// PutEvents on an EventBridge bus with the AWS SDK (SigV4 signing from the access key). The SDK
// does not retry here (maxAttempts 1): the runtime's retry policy does, so a bus that is down
// holds the key's later events in order like any outage. Per-entry results: an entry that failed
// with a throttling or internal error is retried; any other error code fails the step for good
// (dead letter), with EventBridge's message.

export interface AwsConnection {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** A non-AWS endpoint (tests, LocalStack); empty: AWS's own for the region. */
  endpoint?: string;
}

const RETRYABLE_ENTRY_ERRORS = new Set(["ThrottlingException", "InternalFailure", "InternalException", "ServiceUnavailable"]);

export async function putEvents(connection: AwsConnection, entries: PutEventsRequestEntry[], signal?: AbortSignal): Promise<{ eventIds: string[] }> {
  // Loaded on first use: most workers never run this node, and the SDK costs the process memory (docs/decisions/0031).
  const { EventBridgeClient, PutEventsCommand } = await import("@aws-sdk/client-eventbridge");
  const client = new EventBridgeClient({
    region: connection.region,
    endpoint: connection.endpoint || undefined,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    maxAttempts: 1,
  });
  try {
    let output;
    try {
      output = await client.send(new PutEventsCommand({ Entries: entries }), { abortSignal: signal });
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (status !== undefined && status >= 400 && status < 500 && status !== 429 && !/Throttl/.test(message)) {
        throw new PermanentError(`EventBridge refused PutEvents (${status}): ${message}`, { cause: error });
      }
      throw new TransientError(`EventBridge is unreachable or failed (${status ?? "no answer"}): ${message}`, { systemDown: true, cause: error });
    }
    const results = output.Entries ?? [];
    const failed = results.map((r, index) => ({ ...r, index })).filter((r) => r.ErrorCode);
    if (failed.length > 0) {
      const detail = failed.map((f) => `entry ${f.index}: ${f.ErrorCode}${f.ErrorMessage ? ` (${f.ErrorMessage})` : ""}`).join("; ");
      if (failed.every((f) => RETRYABLE_ENTRY_ERRORS.has(f.ErrorCode!))) throw new TransientError(`EventBridge did not take ${detail}; retrying.`);
      throw new PermanentError(`EventBridge rejected ${detail}.`);
    }
    return { eventIds: results.map((r) => r.EventId ?? "") };
  } finally {
    client.destroy();
  }
}
