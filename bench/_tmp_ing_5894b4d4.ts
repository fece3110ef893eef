import { measureIngest } from "./ingest";
const [single, batches] = [Number(process.argv[2] ?? 20000), Number(process.argv[3] ?? 200000)];
const r = await measureIngest("http://127.0.0.1:3350", "syn_bench_test_key_0123456789", { singleRequests: single, batches });
console.log(JSON.stringify(r));
