/** @type {import('next').NextConfig} */
const https = (process.env.SYNCLINE_PUBLIC_URL ?? "").startsWith("https://");
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
  experimental: {
    // Next loads every page's and route's server code when the server starts, by default. Loaded
    // on first request instead, a server that mostly ingests events (POST /api/events takes the
    // fast path, scripts/web-server.mjs) never holds the code of pages nobody opened; the first
    // visit of a page pays its load once (docs/decisions/0031-memory-of-npm-start.md).
    preloadEntriesOnStart: false,
  },
  poweredByHeader: false,
  // proxy.ts sets these (and the CSP with its nonce) on pages and routes; this covers the build
  // assets it does not run for. Keep the two lists alike (server/http/security-headers.ts).
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "X-Frame-Options", value: "DENY" },
          ...(https ? [{ key: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" }] : []),
        ],
      },
    ];
  },
};
export default nextConfig;
