import { defineConfig } from "prisma/config";

// The CLI is only used for `prisma generate` and, where its engine can be downloaded,
// `prisma migrate deploy`. The app applies migrations itself (server/db/migrations.ts).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/syncline" },
});
