// `npm run db:migration -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql with
// the SQL that takes the database from the schema of the newest migration to prisma/schema.prisma.
// Works offline (Prisma's schema engine as WebAssembly, an in-memory PGlite): no database, no
// download. `--check` writes nothing and exits 1 when the schema has changes without a migration
// (for CI); `--empty` writes a migration even without changes, to fill in by hand.
import path from "node:path";
import { parseArgs } from "node:util";
import { createMigration, pendingSchemaChanges } from "../server/db/new-migration";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    check: { type: "boolean", default: false },
    empty: { type: "boolean", default: false },
    schema: { type: "string", default: "prisma/schema.prisma" },
    "migrations-dir": { type: "string", default: "prisma/migrations" },
  },
});

const schemaPath = path.resolve(values.schema);
const migrationsDir = path.resolve(values["migrations-dir"]);

async function main(): Promise<number> {
  if (values.check) {
    const sql = await pendingSchemaChanges(schemaPath, migrationsDir);
    if (sql === null) {
      console.log("prisma/schema.prisma matches the migrations.");
      return 0;
    }
    console.error("The schema has changes that no migration contains: run `npm run db:migration -- <name>`.\n");
    console.error(sql);
    return 1;
  }

  const name = positionals.join(" ");
  if (!name) {
    console.error("Usage: npm run db:migration -- <name> [--empty]   or   npm run db:migration -- --check");
    return 2;
  }
  const result = await createMigration({ name, schemaPath, migrationsDir, allowEmpty: values.empty });
  if (result.migrationName === null) {
    console.log("No changes in prisma/schema.prisma since the last migration; nothing written (--empty forces one).");
    return 0;
  }
  const file = path.relative(process.cwd(), path.join(migrationsDir, result.migrationName, "migration.sql"));
  console.log(`Created ${file}:\n`);
  console.log(result.sql);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
