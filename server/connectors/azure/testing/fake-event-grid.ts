import { FakeHttpServer, type FakeReply, type RawRequest } from "@/server/connectors/testing/fake-http-server";

// A local Event Grid topic endpoint: POST /api/events with aeg-sas-key (or aeg-sas-token), the
// Event Grid schema (application/json array) or CloudEvents 1.0 (application/cloudevents-batch+json).
// Answers 401 for a wrong key, 200 with an empty body otherwise, as Azure does.

export interface EventGridCall {
  path: string;
  contentType: string;
  key: string | undefined;
  sasToken: string | undefined;
  events: Record<string, unknown>[];
}

export class FakeEventGrid extends FakeHttpServer<EventGridCall> {
  /** A SAS token the topic accepts (made by the test with generateSharedAccessSignature). */
  sasToken?: string;
  /** Events the topic accepted (200), in arrival order. */
  readonly accepted: Record<string, unknown>[] = [];

  constructor(private readonly accessKey: string) {
    super();
  }

  get endpoint(): string {
    return `${this.origin}/api/events`;
  }

  protected record(raw: RawRequest): EventGridCall {
    return {
      path: raw.target.split("?")[0]!,
      contentType: String(raw.headers["content-type"] ?? ""),
      key: raw.headers["aeg-sas-key"] as string | undefined,
      sasToken: raw.headers["aeg-sas-token"] as string | undefined,
      events: JSON.parse(raw.text || "[]") as Record<string, unknown>[],
    };
  }

  protected reply(call: EventGridCall): FakeReply {
    const authorized = call.key === this.accessKey || (call.sasToken !== undefined && call.sasToken === this.sasToken);
    if (!authorized) return { status: 401, body: { error: { code: "Unauthorized", message: "The request authorization key is not authorized." } } };
    if (call.path !== "/api/events") return { status: 404, body: { error: { code: "NotFound" } } };
    this.accepted.push(...call.events);
    return { status: 200, body: "" };
  }

  /** For tests that fail the topic (5xx). */
  failNext(status: number) {
    this.inject({ status, body: { error: { code: "InternalServerError" } } });
  }
}
