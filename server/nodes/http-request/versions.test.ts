import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtInEventTypes } from "@/server/events/event-types";
import { FLOW_SCHEMA_VERSION, type FlowDocument } from "@/server/flows/flow-document";
import { validateFlow } from "@/server/flows/validate-flow";
import { runFlow } from "@/server/runtime/run-flow";
import { upgradeConfig } from "../define-node";
import { httpRequestNode } from "./definition";

// A flow saved before version 2 of the HTTP request node (its JSON body was then called `body`)
// must keep validating and keep sending the same request.

const event = builtInEventTypes["stock.changed"].example;
let server: Server;
let base: string;
const received: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push(Buffer.concat(chunks).toString("utf8"));
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function documentWith(version: number, config: Record<string, unknown>): FlowDocument {
  return {
    schemaVersion: FLOW_SCHEMA_VERSION,
    name: "Saved long ago",
    nodes: [
      { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
      { id: "call", kind: "action:http-request", version, config, position: { x: 0, y: 100 } },
    ],
    edges: [{ id: "e1", source: "trigger", target: "call", sourceHandle: "out" }],
    settings: { orderingPolicy: "hold" },
  };
}

const v1Config = { method: "POST", url: "https://erp.example.com/stock", body: '{"warehouseSku": event.data.sku}' };

describe("action:http-request versions", () => {
  it("is at version 2 and upgrades a version-1 config by renaming body to jsonBody", () => {
    expect(httpRequestNode.version).toBe(2);
    expect(upgradeConfig(httpRequestNode, 1, v1Config)).toEqual({ method: "POST", url: "https://erp.example.com/stock", jsonBody: '{"warehouseSku": event.data.sku}' });
    // A current config goes through untouched.
    expect(upgradeConfig(httpRequestNode, 2, { jsonBody: "1" })).toEqual({ jsonBody: "1" });
  });

  it("validates a version-1 document, and reports its problems under the current field names", () => {
    expect(validateFlow(documentWith(1, v1Config)).problems).toEqual([]);
    const broken = validateFlow(documentWith(1, { ...v1Config, body: '{"sku": }' })).problems;
    expect(broken).toEqual([expect.objectContaining({ code: "invalid-expression", nodeId: "call", field: "jsonBody" })]);
  });

  it("runs a version-1 document and sends the body it was saved with", async () => {
    const result = await runFlow({
      flowId: "flow-v1",
      flowVersion: 1,
      document: documentWith(1, { ...v1Config, url: `${base}/stock` }),
      event,
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      attempt: 1,
      services: { httpAllowlist: ["127.0.0.1"] },
    });
    expect(result.status).toBe("succeeded");
    expect(received.map((body) => JSON.parse(body))).toEqual([{ warehouseSku: (event.data as { sku: string }).sku }]);
  });
});
