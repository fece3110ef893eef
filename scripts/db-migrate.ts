// `npm run db:migrate`: applies prisma/migrations to DATABASE_URL or, when it is unset, to the
// embedded database under DATA_DIR. Always the project's own applier, never `prisma migrate
// deploy`: see docs/decisions/0001-migrations-without-the-prisma-engine.md.
import { parseEnv } from "../server/env";
import {
  EmbeddedPostgresInUseError,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from "../server/db/embedded-postgres";
import { applyMigrations } from "../server/db/migrations";

async function main(): Promise<void> {
  const env = parseEnv(process.env);
  let embedded: EmbeddedPostgres | undefined;
  let url = env.DATABASE_URL;
  if (url === undefined) {
    try {
      embedded = await startEmbeddedPostgres({ dataDir: env.DATA_DIR });
      url = embedded.url;
      console.log(`Embedded database in ${env.DATA_DIR}/pglite`);
    } catch (error) {
      // The app is running and has the database open: migrate through it instead.
      if (!(error instanceof EmbeddedPostgresInUseError) || error.url === undefined) throw error;
      url = error.url;
      console.log(`Embedded database served by process ${error.pid} at ${url}`);
    }
  }
  try {
    const { applied } = await applyMigrations(url, { log: (message) => console.log(message) });
    console.log(applied.length === 0 ? "The database is up to date." : `Applied ${applied.length} migration(s).`);
  } finally {
    await embedded?.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
