import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AddressRefusedError, type HostResolver } from "./address-policy";
import { parseResponseBody, RedirectError, RequestTimeoutError, sendRequest, type OutboundRequest } from "./outbound-request";

let server: Server;
let port: number;
let received: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = request.url ?? "/";
      received.push({ method: request.method ?? "", url, headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
      const redirect = /^\/redirect\/(\d+)\/(.*)$/.exec(url);
      if (redirect) {
        response.writeHead(Number(redirect[1]), { location: decodeURIComponent(redirect[2]!) });
        return response.end();
      }
      if (url === "/loop") {
        response.writeHead(302, { location: "/loop" });
        return response.end();
      }
      if (url === "/stall-body") {
        response.writeHead(200, { "content-type": "text/plain" });
        return response.write("partial"); // never ends
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
});

function send(path: string, overrides: Partial<OutboundRequest> = {}) {
  return sendRequest({
    method: "POST",
    url: new URL(`http://127.0.0.1:${port}${path}`),
    headers: { "content-type": "application/json", authorization: "Bearer s3cret" },
    body: '{"a":1}',
    timeoutMs: 5_000,
    allowlist: ["127.0.0.1"],
    ...overrides,
  });
}

describe("sendRequest", () => {
  it("connects to the address it checked, not to whatever the name resolves to later", async () => {
    // "crm.rebind.test" does not exist in DNS: reaching the server proves the pinned address was used.
    const resolve: HostResolver = async () => [{ address: "127.0.0.1", family: 4 }];
    const response = await send("/pinned", { url: new URL(`http://crm.rebind.test:${port}/pinned`), resolve });
    expect(response.status).toBe(200);
    expect(received[0]!.headers.host).toBe(`crm.rebind.test:${port}`);
  });

  it("refuses before connecting when the name resolves to a forbidden address", async () => {
    const resolve: HostResolver = async () => [{ address: "10.0.0.1", family: 4 }];
    await expect(send("/x", { url: new URL("http://crm.rebind.test/x"), resolve })).rejects.toBeInstanceOf(AddressRefusedError);
  });

  it("continues a 303 (and a 302 after POST) as a GET without the body", async () => {
    await send(`/redirect/303/${encodeURIComponent("/after")}`);
    expect(received.map((r) => [r.method, r.url, r.body])).toEqual([
      ["POST", `/redirect/303/${encodeURIComponent("/after")}`, '{"a":1}'],
      ["GET", "/after", ""],
    ]);
    expect(received[1]!.headers["content-type"]).toBeUndefined();
  });

  it("repeats method and body on a 307", async () => {
    await send(`/redirect/307/${encodeURIComponent("/after")}`);
    expect(received[1]).toMatchObject({ method: "POST", url: "/after", body: '{"a":1}' });
    expect(received[1]!.headers.authorization).toBe("Bearer s3cret");
  });

  it("drops credentials when a redirect leaves the origin", async () => {
    await send(`/redirect/307/${encodeURIComponent(`http://localhost:${port}/elsewhere`)}`);
    expect(received[1]!.url).toBe("/elsewhere");
    expect(received[1]!.headers.authorization).toBeUndefined();
  });

  it("gives up after too many redirects, and refuses non-http redirects", async () => {
    await expect(send("/loop", { maxRedirects: 3 })).rejects.toBeInstanceOf(RedirectError);
    expect(received).toHaveLength(4);
    await expect(send(`/redirect/302/${encodeURIComponent("file:///etc/passwd")}`)).rejects.toThrow("only http and https are followed");
  });

  it("times out a body that never ends", async () => {
    await expect(send("/stall-body", { timeoutMs: 200 })).rejects.toBeInstanceOf(RequestTimeoutError);
  });

  it("cuts bodies longer than the limit", async () => {
    const response = await send("/a-long-path-to-make-the-body-longer", { maxResponseBytes: 10 });
    expect(response.truncated).toBe(true);
    expect(response.body.length).toBe(10);
  });
});

describe("parseResponseBody", () => {
  it("parses JSON by content type, and keeps anything else as text", () => {
    const body = (text: string) => Buffer.from(text);
    expect(parseResponseBody({ headers: { "content-type": "application/json; charset=utf-8" }, body: body('{"a":1}') })).toEqual({ a: 1 });
    expect(parseResponseBody({ headers: { "content-type": "application/problem+json" }, body: body('{"title":"x"}') })).toEqual({ title: "x" });
    expect(parseResponseBody({ headers: { "content-type": "application/json" }, body: body("not json") })).toBe("not json");
    expect(parseResponseBody({ headers: { "content-type": "text/plain" }, body: body('{"a":1}') })).toBe('{"a":1}');
    expect(parseResponseBody({ headers: {}, body: body("[1]") })).toEqual([1]);
  });
});
