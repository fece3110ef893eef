import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// `import { z } from "zod"` takes zod's `z` namespace object, which the client bundler cannot
// trim: it brings all of zod's ~50 languages (about 36 KB gzipped) into every page that reaches
// zod. `import * as z from "zod"` does not (docs/decisions/0033-editor-route-javascript.md).

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "generated" || entry.name === "node_modules" ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

describe("zod imports", () => {
  it("take zod as a module namespace, never its `z` object", () => {
    const offenders = ["app", "server"]
      .flatMap((dir) => sourceFiles(dir))
      .filter((file) => /^import\s+\{[^}]*\bz\b[^}]*\}\s+from\s+"zod"/m.test(readFileSync(file, "utf8").replace(/^import\s+type\s+\{[^}]*\}\s+from\s+"zod".*$/gm, "")));
    expect(offenders).toEqual([]);
  });

  it("reach zod's languages only through their own files", () => {
    const offenders = ["app", "server"].flatMap((dir) => sourceFiles(dir)).filter((file) => /\bz\.locales\b/.test(readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
  });
});
