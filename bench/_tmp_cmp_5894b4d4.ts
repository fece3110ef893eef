import http from "node:http";
import { performance } from "node:perf_hooks";
const base = "http://127.0.0.1:3350/api/events";
const key = "syn_bench_test_key_0123456789";
let seq = 0;
const run = Math.random().toString(36).slice(2);
const ev = () => { const n = seq++; const sku = `SKU-${n % 1000}`; return { specversion: "1.0", id: `cmp-${run}-${n}`, source: "/cmp", type: "stock.changed", subject: sku, data: { sku, quantity: n % 500 } }; };
async function pool(count: number, c: number, task: (i: number) => Promise<void>) { let next = 0; await Promise.all(Array.from({ length: c }, async () => { while (next < count) await task(next++); })); }
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const viaHttp = (body: string, ct: string) => new Promise<number>((resolve) => {
  const req = http.request(base, { method: "POST", agent, headers: { "content-type": ct, "content-length": Buffer.byteLength(body), authorization: `Bearer ${key}` } }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode!)); });
  req.on("error", () => resolve(0)); req.end(body);
});
const viaFetch = async (body: string, ct: string) => { try { const r = await fetch(base, { method: "POST", body, headers: { "content-type": ct, authorization: `Bearer ${key}` } }); await r.arrayBuffer(); return r.status; } catch { return 0; } };
async function phase(name: string, post: typeof viaHttp, n: number, c: number, size: number) {
  let ok = 0, bad = 0; const t = performance.now();
  await pool(n, c, async () => { const body = size === 1 ? JSON.stringify(ev()) : JSON.stringify(Array.from({ length: size }, ev)); const s = await post(body, size === 1 ? "application/cloudevents+json" : "application/cloudevents-batch+json"); if (s === 202) ok += size; else bad++; });
  const sec = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage();
  console.log(`${name}: ${Math.round(ok / sec)} ev/s, ${bad} errors, ${sec.toFixed(1)} s`);
}
await phase("warm http", viaHttp, 500, 64, 1); await phase("warm fetch", viaFetch, 500, 64, 1);
for (let r = 0; r < 2; r++) {
  const c0 = process.cpuUsage(); await phase("single http ", viaHttp, 4000, 64, 1); const c1 = process.cpuUsage(c0); console.log("  client cpu ms", Math.round((c1.user + c1.system) / 1000));
  const c2 = process.cpuUsage(); await phase("single fetch", viaFetch, 4000, 64, 1); const c3 = process.cpuUsage(c2); console.log("  client cpu ms", Math.round((c3.user + c3.system) / 1000));
}
for (let r = 0; r < 2; r++) {
  await phase("batch http ", viaHttp, 60, 8, 500);
  await phase("batch fetch", viaFetch, 60, 8, 500);
}
agent.destroy();
