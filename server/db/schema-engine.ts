import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as wasmBindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import { servePGlite } from "./embedded-postgres";

// Prisma's schema engine compiled to WebAssembly: the same differ that writes `prisma migrate dev`
// migrations, usable where the native engine cannot be downloaded. Only datamodel-to-datamodel
// diffs are used — everything that describes a live database through it fails, because adapter-pg
// cannot read Postgres' "char" columns in the catalog (see docs/decisions/0001-…).

let loading: Promise<void> | undefined;

/**
 * The package's own entry point imports the .wasm file as an ES module, which Node does not do
 * without a flag, so the module is instantiated here against the package's JS glue instead.
 */
function loadWasm(): Promise<void> {
  loading ??= (async () => {
    const entry = createRequire(import.meta.url).resolve("@prisma/schema-engine-wasm");
    const bytes = await readFile(path.join(path.dirname(entry), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": wasmBindings });
    wasmBindings.__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start: () => void }).__wbindgen_start();
  })();
  return loading;
}

export interface DatamodelDiffer {
  /**
   * The SQL migrating a database from datamodel `from` (null: an empty database) to `to`, or null
   * when they describe the same database.
   */
  diff(from: string | null, to: string): Promise<string | null>;
  close(): Promise<void>;
}

const NO_FILTERS = { externalTables: [], externalEnums: [] };

function datamodel(content: string) {
  return { tag: "schemaDatamodel" as const, files: [{ path: "schema.prisma", content }] };
}

/**
 * Starts a schema engine. The engine insists on a database connection even for diffs that never
 * use it, so it gets a throwaway in-memory PGlite: no Postgres server or network needed.
 */
export async function openDatamodelDiffer(): Promise<DatamodelDiffer> {
  await loadWasm();
  const pglite = await PGlite.create();
  const server = await servePGlite(pglite);
  let engine: wasmBindings.SchemaEngine | undefined;
  try {
    const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg({ connectionString: server.url, max: 1 }));
    engine = await wasmBindings.SchemaEngine.new({ datamodels: undefined }, () => {}, adapter);
  } catch (error) {
    await server.close();
    await pglite.close();
    throw error;
  }
  const openEngine = engine;
  return {
    async diff(from, to) {
      const result = await openEngine.diff({
        from: from === null ? { tag: "empty" } : datamodel(from),
        to: datamodel(to),
        script: true,
        exitCode: true,
        filters: NO_FILTERS,
      });
      // With exitCode set, the engine answers 2 for "there are changes" and 0 for none.
      return result.exitCode === 2 ? (result.stdout ?? "") : null;
    },
    async close() {
      openEngine.free();
      await server.close();
      await pglite.close();
    },
  };
}
