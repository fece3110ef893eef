import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// The layer rules of docs/architecture.md, checked on the real import graph: every import of a
// server module may only point at its own folder or at a folder in a lower layer. Tests and test
// fixtures (`*.test.ts`, `testing/`) are left out: a test may reach for any fake it needs.

const root = path.resolve(import.meta.dirname, "../..");

/** Top to bottom. Folders in one layer do not import each other (checked too). */
const layers: string[][] = [
  // Inbound webhooks answer with the HTTP API's error shape.
  ["webhooks"],
  ["api", "http-api", "app-startup", "testing"],
  // The web app's read models and requests (redrive, discard) tell workers through the runtime's notifier.
  ["monitoring"],
  ["history"],
  ["runtime"],
  // Alert webhooks are sent by the worker (and the serverless drain), from rows the runtime wrote.
  ["alerts"],
  // Sources (RabbitMQ…) are consumed inside the worker; their messages take the events' ingest path.
  ["sources"],
  ["scheduler"],
  ["flows"],
  ["nodes"],
  ["connectors", "channels", "assets", "auth", "audit"],
  // Health of the outside systems steps reach (channels, credentials), written through one mechanism.
  ["credentials", "outside-systems"],
  ["expressions"],
  ["events"],
  ["outbound"],
  ["db", "nats"],
  // Span helpers, used by ingest, the runtime and outbound calls.
  ["tracing"],
  ["env", "domain-errors", "validation", "pid-lock"],
];

/**
 * Imports that break the rules today and are being moved on another branch (the runtime's read
 * models move to server/history/ and stop throwing the HTTP API's ApiError; the stream layout
 * leaves server/runtime/). Each entry must still exist, so a fixed one has to be removed here.
 */
const pendingMoves: { from: string; to: string }[] = [
  { from: "server/events/ingest.ts", to: "server/runtime/stream-layout.ts" },
  { from: "server/scheduler/scheduler.ts", to: "server/runtime/stream-layout.ts" },
];

export interface ImportEdge {
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })
    .map((f) => path.posix.join(dir, f.split(path.sep).join("/")))
    .filter((f) => /\.tsx?$/.test(f) && !f.includes("/generated/"));
}

const importPattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every import of a project module, resolved to a repository path without extension. */
export function importEdges(files: string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(root, file), "utf8");
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2]!;
      let target: string;
      if (specifier.startsWith("@/")) target = specifier.slice(2);
      else if (specifier.startsWith(".")) target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      else continue;
      edges.push({ from: file, to: target.replace(/\.tsx?$/, "") });
    }
  }
  return edges;
}

const isTestCode = (file: string) => /\.test\.tsx?$/.test(file) || file.split("/").includes("testing") || file.split("/").includes("fixtures");
const folderOf = (file: string) => (file.startsWith("server/") ? file.split("/")[1]!.replace(/\.tsx?$/, "") : undefined);
const layerOf = (folder: string) => layers.findIndex((layer) => layer.includes(folder));
const sameFile = (edge: ImportEdge, pending: { from: string; to: string }) =>
  edge.from === pending.from && `${edge.to}.ts` === pending.to;

/** Why an edge is not allowed, or undefined when it is. */
export function layerViolation(edge: ImportEdge): string | undefined {
  const from = folderOf(edge.from);
  const to = folderOf(edge.to);
  if (!from || !to || from === to) return undefined;
  const fromLayer = layerOf(from);
  const toLayer = layerOf(to);
  if (fromLayer < 0) return `server/${from} has no layer in server/architecture/import-layers.test.ts`;
  if (toLayer < 0) return `server/${to} has no layer in server/architecture/import-layers.test.ts`;
  if (toLayer < fromLayer) return `${from} may not import ${to}: it is in a higher layer`;
  if (toLayer === fromLayer) return `${from} and ${to} are in one layer and may not import each other`;
  return undefined;
}

describe("import layers", () => {
  const edges = importEdges(sourceFiles("server").filter((f) => !isTestCode(f)));

  it("finds the imports it checks (a broken pattern would pass every rule)", () => {
    expect(edges).toContainEqual({ from: "server/api/trpc.ts", to: "server/domain-errors" });
    expect(edges).toContainEqual({ from: "server/flows/validate-flow.ts", to: "server/nodes/registry" });
  });

  it("refuses an upward import, an import inside one layer and a folder without a layer", () => {
    expect(layerViolation({ from: "server/nodes/x/execute.ts", to: "server/flows/flow-store" })).toMatch(/higher layer/);
    expect(layerViolation({ from: "server/channels/a.ts", to: "server/connectors/b" })).toMatch(/one layer/);
    expect(layerViolation({ from: "server/newthing/a.ts", to: "server/db/client" })).toMatch(/no layer/);
    expect(layerViolation({ from: "server/flows/a.ts", to: "server/db/client" })).toBeUndefined();
  });

  it("has every import point down", () => {
    const violations = edges
      .filter((edge) => !pendingMoves.some((pending) => sameFile(edge, pending)))
      .map((edge) => ({ ...edge, why: layerViolation(edge) }))
      .filter((edge) => edge.why);
    expect(violations).toEqual([]);
  });

  it("lists only pending moves that still exist", () => {
    const stale = pendingMoves.filter((pending) => !edges.some((edge) => sameFile(edge, pending)));
    expect(stale).toEqual([]);
  });

  it("keeps each node type's folder to itself: no node folder imports another", () => {
    const crossing = edges.filter((edge) => {
      const [, fromTop, fromKind] = edge.from.split("/");
      const [, toTop, toKind, ...rest] = edge.to.split("/");
      return fromTop === "nodes" && toTop === "nodes" && rest.length > 0 && edge.from.split("/").length > 3 && fromKind !== toKind;
    });
    expect(crossing).toEqual([]);
  });

  it("keeps tRPC routers from importing each other", () => {
    const crossing = edges.filter((edge) => edge.from.startsWith("server/api/routers/") && edge.to.startsWith("server/api/routers/"));
    expect(crossing).toEqual([]);
  });
});
