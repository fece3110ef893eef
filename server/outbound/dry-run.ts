import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";

// Dry runs (the editor's test-event button, docs/decisions/0017): inside `recordOutboundCalls`,
// `sendRequest` does not call out. It records the request exactly as it would have been sent —
// secrets masked — and throws `DryRunStop`, so the step ends at the first outside effect. Every
// node that reaches the outside world does so through `sendRequest` (outbound-request.ts), so no
// node type needs its own dry-run code and what a dry run shows is what a live run sends.

/** The request a step would have sent, as the run records it. */
export interface WouldBeRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  idempotencyKey: string | null;
}

interface Recorder {
  requests: WouldBeRequest[];
}

const scope = new AsyncLocalStorage<Recorder>();

/** Thrown by sendRequest in a dry run, after recording; callers may wrap it, the recorder still holds the request. */
export class DryRunStop extends Error {
  constructor(readonly request: WouldBeRequest) {
    super(`dry run: ${request.method} ${request.url} was not sent`);
    this.name = "DryRunStop";
  }
}

const SENSITIVE_NAME = /authorization|cookie|api[-_]?key|auth[-_]?key|token|secret|password|signature|credential|session/i;
export const MASK = "••••••";

function maskedUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.username) copy.username = MASK;
  if (copy.password) copy.password = MASK;
  for (const name of [...copy.searchParams.keys()]) if (SENSITIVE_NAME.test(name)) copy.searchParams.set(name, MASK);
  return copy.href;
}

function parsedBody(body: string | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return maskSecrets(JSON.parse(body));
  } catch {
    return body;
  }
}

/** Values under secret-looking keys (`apiKey`, `password`, …) masked, at any depth. */
function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SENSITIVE_NAME.test(k) && typeof v === "string" ? MASK : maskSecrets(v)]));
}

/** Called by sendRequest before anything leaves the process. */
export function interceptIfDryRun(request: { method: string; url: URL; headers: Record<string, string>; body?: string }): void {
  const recorder = scope.getStore();
  if (!recorder) return;
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, SENSITIVE_NAME.test(name) ? MASK : value]));
  const wouldBe: WouldBeRequest = {
    method: request.method,
    url: maskedUrl(request.url),
    headers,
    ...(request.body !== undefined ? { body: parsedBody(request.body) } : {}),
    idempotencyKey: request.headers["idempotency-key"] ?? null,
  };
  recorder.requests.push(wouldBe);
  throw new DryRunStop(wouldBe);
}

/** Runs `fn` with outside calls recorded instead of sent; returns its result or failure and the requests it tried. */
export async function recordOutboundCalls<T>(fn: () => Promise<T>): Promise<{ requests: WouldBeRequest[]; result: PromiseSettledResult<T> }> {
  const recorder: Recorder = { requests: [] };
  const result = await scope.run(recorder, () => fn().then(
    (value): PromiseSettledResult<T> => ({ status: "fulfilled", value }),
    (reason): PromiseSettledResult<T> => ({ status: "rejected", reason }),
  ));
  return { requests: recorder.requests, result };
}

/** True inside a dry run: nothing this step does reaches the outside world. */
export function isDryRun(): boolean {
  return scope.getStore() !== undefined;
}
