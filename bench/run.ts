// `npm run bench`: measures SPEC §4's figures against the real app, prints a table and writes
// bench/results/latest.json. Needs a production build (`npm run build`), Postgres and NATS.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import pg from "pg";
import { measureEditor } from "./editor";

const port = Number(process.env.BENCH_PORT ?? 3300);
const baseUrl = `http://127.0.0.1:${port}`;
const adminUrl = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const apiKey = "syn_bench_bootstrap_key_0123456789";
const dbName = `syncline_bench_${Date.now().toString(36)}`;

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try { await client.query(sql); } finally { await client.end(); }
}

async function waitForHealth(timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${baseUrl}/api/health`);
      if (res.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the app did not become healthy on ${baseUrl}`);
}

async function main() {
  if (!existsSync(".next/BUILD_ID")) throw new Error("No production build: run `npm run build` first.");
  await admin(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const app = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/start.ts"], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, DATABASE_URL: url.toString(), NATS_URL: process.env.NATS_URL ?? "nats://127.0.0.1:4222", PORT: String(port), BOOTSTRAP_API_KEY: apiKey, SYNCLINE_PREFIX: `bench_${dbName}` },
  });
  try {
    await waitForHealth(120_000);
    const editor = await measureEditor(baseUrl, apiKey, 500);
    const rows: [string, string, string][] = [
      ["editor: pan FPS, 500-node flow", String(editor.panFps), "smooth (≥ 30 fps)"],
      ["editor: zoom FPS, 500-node flow", String(editor.zoomFps), "smooth (≥ 30 fps)"],
      ["editor route JS, gzipped", `${editor.editorJsGzipKb} KB (${editor.editorJsFiles} files)`, "≤ 350 KB"],
    ];
    const width = Math.max(...rows.map((r) => r[0].length));
    console.log(`\n${"figure".padEnd(width)}  ${"measured".padEnd(24)}  target`);
    for (const [name, value, target] of rows) console.log(`${name.padEnd(width)}  ${value.padEnd(24)}  ${target}`);
    mkdirSync("bench/results", { recursive: true });
    writeFileSync("bench/results/latest.json", JSON.stringify({ measuredAt: new Date().toISOString(), editor }, null, 2) + "\n");
    console.log("\nwritten to bench/results/latest.json");
  } finally {
    app.kill("SIGTERM");
    await new Promise((r) => app.once("exit", r));
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
