// Editor figures (the README's "Performance" section): frame rate while panning and zooming a generated 500-node flow, and
// the gzipped JavaScript the editor route loads. Measured in real Chromium against the real app.
import { gzipSync } from "node:zlib";
import { chromium } from "@playwright/test";
import type { FlowDocument } from "../server/flows/flow-document";

function generateLargeFlow(nodeCount: number): FlowDocument {
  const nodes: FlowDocument["nodes"] = [
    { id: "trigger", kind: "trigger:stock.changed", version: 1, config: {}, position: { x: 0, y: 0 } },
  ];
  const edges: FlowDocument["edges"] = [];
  const columns = 25;
  for (let i = 1; i < nodeCount; i++) {
    const id = `n${i}`;
    nodes.push({
      id,
      kind: "action:http-request",
      version: 1,
      config: { method: "POST", url: `https://example.com/hook/${i}` },
      position: { x: 260 * (i % columns), y: 140 * Math.floor(i / columns) + 160 },
    });
    const source = i <= columns ? "trigger" : `n${i - columns}`;
    edges.push({ id: `e${i}`, source, target: id, sourceHandle: "out" });
  }
  return { schemaVersion: 1, name: `Benchmark: ${nodeCount} nodes`, nodes, edges, settings: { orderingPolicy: "hold" } };
}

export interface EditorFigures {
  nodes: number;
  panFps: number;
  zoomFps: number;
  editorJsGzipKb: number;
  editorJsFiles: number;
}

export async function measureEditor(baseUrl: string, apiKey: string, owner: { email: string; password: string }, nodeCount = 500): Promise<EditorFigures> {
  const imported = await fetch(`${baseUrl}/api/flows/import`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify(generateLargeFlow(nodeCount)),
  });
  if (imported.status !== 201) throw new Error(`import failed: ${imported.status} ${await imported.text()}`);
  const { id } = (await imported.json()) as { id: string };

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // Signed in like a user (the session cookie lands in the page's context).
    const signIn = await page.context().request.post(`${baseUrl}/api/auth/sign-in/email`, { data: owner, headers: { origin: baseUrl } });
    if (!signIn.ok()) throw new Error(`sign-in failed: ${signIn.status()} ${await signIn.text()}`);
    const scripts = new Map<string, Buffer>();
    page.on("response", async (response) => {
      const type = response.request().resourceType();
      if (type === "script") scripts.set(response.url(), await response.body().catch(() => Buffer.alloc(0)));
    });
    await page.goto(`${baseUrl}/flows/${id}`, { waitUntil: "networkidle" });
    await page.getByTestId("node-n1").waitFor();

    const canvas = page.getByTestId("canvas");
    const box = await canvas.boundingBox();
    if (!box) throw new Error("canvas not visible");
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;

    // Strings, not functions: the bench runs through tsx, whose helpers do not exist in the page.
    const countFrames = () =>
      page.evaluate<number>(`(() => {
        window.__frames = 0;
        window.__counting = true;
        const tick = () => { if (window.__counting) { window.__frames++; requestAnimationFrame(tick); } };
        requestAnimationFrame(tick);
        return performance.now();
      })()`);
    const stopFrames = () =>
      page.evaluate<{ frames: number; now: number }>(`(() => {
        window.__counting = false;
        return { frames: window.__frames, now: performance.now() };
      })()`);

    // Pan: drag the empty canvas back and forth.
    const panStart = await countFrames();
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let round = 0; round < 4; round++) {
      await page.mouse.move(cx - 300, cy - 150, { steps: 30 });
      await page.mouse.move(cx + 300, cy + 150, { steps: 30 });
    }
    await page.mouse.up();
    const panEnd = await stopFrames();

    // Zoom: wheel in and out over the canvas.
    const zoomStart = await countFrames();
    for (let i = 0; i < 40; i++) {
      await page.mouse.wheel(0, i < 20 ? -120 : 120);
    }
    const zoomEnd = await stopFrames();

    const gzipBytes = [...scripts.values()].reduce((sum, body) => sum + gzipSync(body).length, 0);
    await fetch(`${baseUrl}/api/trpc/flows.delete?batch=1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ 0: { json: { id } } }),
    });
    return {
      nodes: nodeCount,
      panFps: Math.round((panEnd.frames / (panEnd.now - panStart)) * 1000 * 10) / 10,
      zoomFps: Math.round((zoomEnd.frames / (zoomEnd.now - zoomStart)) * 1000 * 10) / 10,
      editorJsGzipKb: Math.round(gzipBytes / 102.4) / 10,
      editorJsFiles: scripts.size,
    };
  } finally {
    await browser.close();
  }
}
