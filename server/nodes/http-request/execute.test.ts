import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { builtInEventTypes } from "../../events/event-types";
import type { ExecutionContext } from "../define-executor";
import { PermanentError, TransientError } from "@/server/outbound/execution-errors";
import { httpRequestNode } from "./definition";
import { httpRequestExecutor } from "./execute";
import { executionContext } from "../testing/execution-context";

// A real receiver on 127.0.0.1. Only loopback is ever contacted: every other address in these
// tests must be refused before a socket is opened.

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
let received: Received[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = request.url ?? "/";
      received.push({ method: request.method ?? "", url: path, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        response.writeHead(status, { "content-type": "application/json", ...headers });
        response.end(JSON.stringify(body));
      };
      if (path.startsWith("/products/")) return json(201, { id: "p-1", path }, { etag: '"v1"', "set-cookie": "session=secret" });
      if (path === "/text") {
        response.writeHead(200, { "content-type": "text/plain" });
        return response.end("plain answer");
      }
      if (path === "/big") {
        response.writeHead(200, { "content-type": "application/json" });
        return response.end(JSON.stringify({ blob: "x".repeat(2 * 1024 * 1024) }));
      }
      if (path === "/down") return json(500, { error: "database unavailable" });
      if (path === "/maintenance") return json(503, { error: "maintenance" }, { "retry-after": "120" });
      if (path === "/busy") return json(429, { error: "slow down" }, { "retry-after": "3" });
      if (path === "/missing") return json(404, { error: "no product with SKU SKU-1001" });
      if (path === "/invalid") return json(422, { message: "price must be positive" });
      if (path === "/slow") return; // never answers
      if (path === "/redirect-home") {
        response.writeHead(302, { location: "/products/SKU-1001" });
        return response.end();
      }
      if (path.startsWith("/redirect-to/")) {
        response.writeHead(307, { location: decodeURIComponent(path.slice("/redirect-to/".length)) });
        return response.end();
      }
      json(200, { ok: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
});

const event = builtInEventTypes["product.created"].example;
const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const LOOPBACK = ["127.0.0.1"];

function context(config: Partial<z.input<typeof httpRequestNode.config>>, allowlist: string[] = LOOPBACK): ExecutionContext<z.output<typeof httpRequestNode.config>> {
  return executionContext(httpRequestNode, config, {
    event,
    steps: { prepare: { title: "MERINO WOOL SWEATER" } },
    nodeId: "call",
    flowVersion: 3,
    services: { httpAllowlist: allowlist },
  });
}

async function failure(config: Partial<z.input<typeof httpRequestNode.config>>, allowlist?: string[]): Promise<Error> {
  try {
    await httpRequestExecutor.execute(context(config, allowlist));
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

describe("action:http-request", () => {
  it("sends the JSON body built from an expression, with the idempotency key and traceparent, and returns the answer", async () => {
    const result = await httpRequestExecutor.execute(
      context({
        method: "PUT",
        url: `${base}/products/{{ event.data.sku }}/{{ "a/b c" }}`,
        headers: { "X-Api-Key": "k-{{ event.data.currency }}", Host: "evil.example" },
        jsonBody: '{"sku": event.data.sku, "title": steps.prepare.title, "price": event.data.price}',
      }),
    );

    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.method).toBe("PUT");
    expect(request!.url).toBe("/products/SKU-1001/a%2Fb%20c");
    expect(JSON.parse(request!.body)).toEqual({ sku: "SKU-1001", title: "MERINO WOOL SWEATER", price: 89.95 });
    expect(request!.headers["content-type"]).toBe("application/json");
    expect(request!.headers["idempotency-key"]).toBe("example-product.created:flow-1:v3:call");
    expect(request!.headers.traceparent).toBe(TRACEPARENT);
    expect(request!.headers["x-api-key"]).toBe("k-EUR");
    expect(request!.headers.host).toBe(base.slice("http://".length));

    expect(result.output.status).toBe(201);
    expect(result.output.body).toEqual({ id: "p-1", path: "/products/SKU-1001/a%2Fb%20c" });
    expect(result.output.headers).toMatchObject({ "content-type": "application/json", etag: '"v1"' });
    expect(result.output.headers["set-cookie"]).toBeUndefined();
  });

  it("sends no body with GET and returns text bodies as text", async () => {
    const result = await httpRequestExecutor.execute(context({ method: "GET", url: `${base}/text` }));
    expect(received[0]!.body).toBe("");
    expect(received[0]!.headers["content-type"]).toBeUndefined();
    expect(result.output.body).toBe("plain answer");
  });

  it("caps the response body it keeps", async () => {
    const result = await httpRequestExecutor.execute(context({ method: "GET", url: `${base}/big` }));
    expect(result.output.body).toMatchObject({ truncated: true });
  });

  it("treats 5xx as a transient error of a system that is down", async () => {
    const error = await failure({ url: `${base}/down` });
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ systemDown: true, retryAfterMs: undefined });
    expect(error.message).toContain(`POST ${base}/down answered 500`);
    expect(error.message).toContain("database unavailable");
    expect(await failure({ url: `${base}/maintenance` })).toMatchObject({ systemDown: true, retryAfterMs: 120_000 });
  });

  it("treats 429 as transient and honours Retry-After", async () => {
    const error = await failure({ url: `${base}/busy` });
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ retryAfterMs: 3_000, systemDown: false });
  });

  it.each([
    ["/missing", 404, "no product with SKU SKU-1001"],
    ["/invalid", 422, "price must be positive"],
  ])("treats %s (%i) as permanent, with the receiver's message", async (path, status, message) => {
    const error = await failure({ url: `${base}${path}` });
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ status });
    expect(error.message).toContain(`answered ${status}`);
    expect(error.message).toContain(message);
  });

  it("treats a timeout as transient", async () => {
    const error = await failure({ url: `${base}/slow`, timeoutMs: 200 });
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ systemDown: true });
    expect(error.message).toContain("within 200 ms");
  });

  it("treats a refused connection as transient, system down", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const error = await failure({ url: `http://127.0.0.1:${port}/x` });
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ systemDown: true });
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("stops when the step's signal aborts", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("worker stopping")), 50);
    const error = await httpRequestExecutor.execute({ ...context({ url: `${base}/slow`, timeoutMs: 60_000 }), signal: controller.signal }).then(
      () => new Error("expected the call to fail"),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toContain("aborted (worker stopping)");
  });

  it("follows a redirect to an allowed address", async () => {
    const result = await httpRequestExecutor.execute(context({ method: "GET", url: `${base}/redirect-home` }));
    expect(result.output.status).toBe(201);
    expect(received.map((r) => r.url)).toEqual(["/redirect-home", "/products/SKU-1001"]);
    expect(received[1]!.headers["idempotency-key"]).toBe("example-product.created:flow-1:v3:call");
  });
});

describe("action:http-request refuses private addresses (SSRF)", () => {
  it("refuses 127.0.0.1 without the allow-list, before connecting, and calls it with it", async () => {
    const error = await failure({ url: `${base}/products/x` }, []);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain("127.0.0.1 is a loopback address");
    expect(error.message).toContain("SYNCLINE_HTTP_ALLOWLIST");
    expect(received).toHaveLength(0);

    const result = await httpRequestExecutor.execute(context({ url: `${base}/products/x` }, ["127.0.0.0/8"]));
    expect(result.output.status).toBe(201);
  });

  it.each([
    ["http://10.0.0.1/admin", "10.0.0.1 is a private address"],
    ["http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"],
    ["http://[::1]:8080/", "::1 is a loopback address"],
    ["http://[::ffff:127.0.0.1]/", "::ffff:7f00:1 is a loopback address"],
    ["http://[fe80::1]/", "fe80::1 is a link-local address"],
    ["http://0.0.0.0/", "0.0.0.0 is the unspecified address"],
    ["http://224.0.0.1/", "224.0.0.1 is a multicast address"],
    // The URL parser reads these as 127.0.0.1; they are refused like it.
    ["http://2130706433/", "127.0.0.1 is a loopback address"],
    ["http://0x7f.1/", "127.0.0.1 is a loopback address"],
  ])("refuses %s", async (url, reason) => {
    const error = await failure({ url }, []);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain(reason);
    expect(error.message).toContain("SYNCLINE_HTTP_ALLOWLIST");
  });

  it("refuses a host name that resolves to a loopback address", async () => {
    const port = (server.address() as AddressInfo).port;
    const error = await failure({ url: `http://localhost:${port}/products/x` }, []);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(received).toHaveLength(0);
  });

  it.each(["http://10.0.0.1/internal", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:10.0.0.1]/"])(
    "refuses a redirect from an allowed receiver to %s",
    async (target) => {
      const error = await failure({ method: "GET", url: `${base}/redirect-to/${encodeURIComponent(target)}` });
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.message).toContain("SYNCLINE_HTTP_ALLOWLIST");
      expect(received.map((r) => r.url)).toEqual([`/redirect-to/${encodeURIComponent(target)}`]);
    },
  );
});
