// `npm run worker`: bundles scripts/worker.ts with esbuild (well under a second) and runs the
// bundle in this process. A plain-JS bundle starts faster and needs tens of MB less memory than
// compiling TypeScript at run time, and rebuilding on every start means it is never stale.
import { build } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outfile = path.join(root, ".build", "worker.mjs");
const result = await build({
  write: false,
  entryPoints: [path.join(root, "scripts", "worker.ts")],
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
// Several workers may start at once: write aside, then rename, so none imports a half-written file.
mkdirSync(path.dirname(outfile), { recursive: true });
const temporary = `${outfile}.${process.pid}.tmp`;
writeFileSync(temporary, result.outputFiles[0].contents);
renameSync(temporary, outfile);
await import(pathToFileURL(outfile).href);
