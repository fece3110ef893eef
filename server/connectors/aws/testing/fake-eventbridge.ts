import { randomUUID } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { FakeHttpServer, type FakeReply, type RawRequest } from "@/server/connectors/testing/fake-http-server";

// A local EventBridge that speaks the PutEvents JSON API (POST /, X-Amz-Target:
// AWSEvents.PutEvents, application/x-amz-json-1.1) and verifies each request's SigV4 signature by
// signing the same request again with @smithy/signature-v4 (the algorithm is not written here).

export interface PutEventsCall {
  signatureValid: boolean;
  target: string | undefined;
  entries: { Source: string; DetailType: string; Detail: string; EventBusName?: string; TraceHeader?: string }[];
}

export class FakeEventBridge extends FakeHttpServer<PutEventsCall> {
  /** Per entry: an error code to answer instead of accepting it (partial failures). */
  failEntry: (entry: PutEventsCall["entries"][number], index: number) => { code: string; message: string } | undefined = () => undefined;
  readonly accepted: PutEventsCall["entries"] = [];

  constructor(private readonly credentials: { accessKeyId: string; secretAccessKey: string }, private readonly region: string) {
    super();
  }

  private readonly checks = new WeakMap<PutEventsCall, Promise<boolean>>();

  protected record(raw: RawRequest): PutEventsCall {
    const body = JSON.parse(raw.text || "{}") as { Entries?: PutEventsCall["entries"] };
    const call: PutEventsCall = { signatureValid: false, target: raw.headers["x-amz-target"] as string | undefined, entries: body.Entries ?? [] };
    this.checks.set(call, this.verify(raw));
    return call;
  }

  /** Signs the received request again with the known secret and compares the signatures. */
  private async verify(raw: RawRequest): Promise<boolean> {
    const authorization = String(raw.headers.authorization ?? "");
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(authorization);
    if (!match) return false;
    const [, accessKeyId, , region, service, signedHeaders, signature] = match;
    if (accessKeyId !== this.credentials.accessKeyId || region !== this.region || service !== "events") return false;
    const headers: Record<string, string> = {};
    for (const name of signedHeaders!.split(";")) headers[name] = String(raw.headers[name] ?? "");
    const amzDate = headers["x-amz-date"] ?? "";
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    const signer = new SignatureV4({ credentials: this.credentials, region: this.region, service: "events", sha256: Sha256 });
    const [path, query = ""] = raw.target.split("?");
    try {
      const signed = await signer.sign(
        { method: raw.method, protocol: "http:", hostname: headers.host?.split(":")[0] ?? "127.0.0.1", path: path!, query: Object.fromEntries(new URLSearchParams(query)), headers, body: raw.text },
        { signingDate },
      );
      return String(signed.headers.authorization ?? signed.headers.Authorization ?? "").endsWith(`Signature=${signature}`);
    } catch {
      return false;
    }
  }

  protected async reply(call: PutEventsCall): Promise<FakeReply> {
    call.signatureValid = (await this.checks.get(call)) ?? false;
    if (!call.signatureValid) {
      return { status: 403, body: { __type: "InvalidSignatureException", message: "The request signature we calculated does not match the signature you provided." }, headers: { "content-type": "application/x-amz-json-1.1" } };
    }
    if (call.target !== "AWSEvents.PutEvents") return { status: 400, body: { __type: "UnknownOperationException" } };
    let failed = 0;
    const entries = call.entries.map((entry, index) => {
      const failure = this.failEntry(entry, index);
      if (failure) {
        failed++;
        return { ErrorCode: failure.code, ErrorMessage: failure.message };
      }
      this.accepted.push(entry);
      return { EventId: randomUUID() };
    });
    return { status: 200, body: { FailedEntryCount: failed, Entries: entries }, headers: { "content-type": "application/x-amz-json-1.1" } };
  }
}
