// `npm run worker`: scripts/worker.ts as a plain-JS bundle (see run-bundled.mjs).
import { runBundled } from "./run-bundled.mjs";

await runBundled("worker");
