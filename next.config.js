/** @type {import('next').NextConfig} */
const nextConfig = {
  // These run only on the server and carry native or wasm parts that must not be bundled.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "@prisma/adapter-pg", "@nats-io/transport-node"],
  // Migrations are applied when a server instance starts (instrumentation.ts), so deployments
  // such as Vercel must ship the SQL files with the server code. sharp loads its native binary
  // (and libvips) by a computed path that tracing cannot follow; the routes that run flows
  // (ingest's drain, the cron drain) resize images, so ship them there.
  outputFileTracingIncludes: {
    "/**": ["./prisma/migrations/**/*"],
    "/api/**": ["./node_modules/@img/**/*"],
  },
  devIndicators: false,
};
export default nextConfig;
