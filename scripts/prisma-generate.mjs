// Generates the Prisma client into server/db/generated.
// `prisma generate` asks for the schema engine binary even though it does not use it; where the
// engine cannot be downloaded (offline machines, CI without internet) any executable will do.
import { spawnSync } from "node:child_process";

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync("npx", ["prisma", "generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
