/** @type {import('next').NextConfig} */
const nextConfig = {
  // These run only on the server and carry native or wasm parts that must not be bundled.
  serverExternalPackages: ["@electric-sql/pglite", "pg", "@prisma/adapter-pg", "@nats-io/transport-node"],
  // Migrations are applied when a server instance starts (instrumentation.ts), so deployments
  // such as Vercel must ship the SQL files with the server code.
  outputFileTracingIncludes: { "/**": ["./prisma/migrations/**/*"] },
  devIndicators: false,
};
export default nextConfig;
