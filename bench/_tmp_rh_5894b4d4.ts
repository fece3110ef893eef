import { measureRunHistory } from "./run-history";
const rows = Number(process.argv[2] ?? 1_000_000);
const r = await measureRunHistory("postgresql://postgres@127.0.0.1:5432/benchx_5894b4d4", { rows });
console.log(JSON.stringify(r, null, 2));
