// Runs a TypeScript entry point of scripts/ as plain JS: bundles it with esbuild (well under a
// second), shuts esbuild's service process down, and imports the bundle in this process. A
// plain-JS bundle starts faster and needs tens of MB less memory than compiling TypeScript at run
// time (tsx), nothing of the compiler stays resident, and rebuilding on every start means the
// bundle is never stale. Used by `npm start` (scripts/start.ts) and `npm run worker` (scripts/worker.ts).
import { build, stop } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Bundles `scripts/<name>.ts` into `.build/<name>.mjs` and runs it. */
export async function runBundled(name) {
  const outfile = path.join(root, ".build", `${name}.mjs`);
  const result = await build({
    write: false,
    entryPoints: [path.join(root, "scripts", `${name}.ts`)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    conditions: ["react-server"],
    tsconfig: path.join(root, "tsconfig.json"),
    logLevel: "warning",
  });
  // esbuild keeps a service child process (15–30 MB) until told to stop.
  await stop();
  // Several processes may start at once: write aside, then rename, so none imports a half-written file.
  mkdirSync(path.dirname(outfile), { recursive: true });
  const temporary = `${outfile}.${process.pid}.tmp`;
  writeFileSync(temporary, result.outputFiles[0].contents);
  renameSync(temporary, outfile);
  await import(pathToFileURL(outfile).href);
}

// `node scripts/run-bundled.mjs <name>`
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const name = process.argv[2];
  if (!name || !/^[a-z0-9-]+$/.test(name)) throw new Error("usage: node scripts/run-bundled.mjs <script name without .ts>");
  await runBundled(name);
}
