import * as z from "zod";

// Every environment variable the app reads, parsed once. Invalid values stop the process with a
// message that names the variable, instead of failing later somewhere far away.
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** Postgres connection string. Unset: an embedded PGlite database under DATA_DIR. */
  DATABASE_URL: z.url().optional(),
  /** NATS server URL. Unset: 127.0.0.1:4222 if it answers, else a nats-server started for you. */
  NATS_URL: z.string().min(1).optional(),
  // NATS sign-in and TLS for hosted servers (see README "Deploy to Vercel"). At most one sign-in.
  /** A NATS user's .creds file (JWT + NKey seed): its contents, or a path to it. */
  NATS_CREDS: z.string().min(1).optional(),
  /** A path to the .creds file, for those who prefer the name to say so. */
  NATS_CREDS_FILE: z.string().min(1).optional(),
  NATS_TOKEN: z.string().min(1).optional(),
  NATS_USER: z.string().min(1).optional(),
  NATS_PASSWORD: z.string().min(1).optional(),
  /** CA certificate (PEM, or a path) that signed the NATS server's certificate, for a private CA. */
  NATS_TLS_CA: z.string().min(1).optional(),
  /** Client certificate and key (PEM, or paths) for servers that verify clients. */
  NATS_TLS_CERT: z.string().min(1).optional(),
  NATS_TLS_KEY: z.string().min(1).optional(),
  /** Where embedded services keep their files. */
  DATA_DIR: z.string().min(1).default(".data"),
  /** Ensures an API key with this value exists at start (for automation and CI). */
  BOOTSTRAP_API_KEY: z.string().min(16, "BOOTSTRAP_API_KEY must be at least 16 characters").optional(),
  /** Prefix of every JetStream stream, consumer and bucket the app creates. */
  SYNCLINE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only").default("syncline"),
  PORT: z.coerce.number().int().positive().default(3000),

  // Runtime (see README "Configuration").
  /** Number of partitions of the event stream; fixed once the stream exists. */
  SYNCLINE_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  /** JetStream duplicate window for event ids. */
  SYNCLINE_DUPLICATE_WINDOW_MS: z.coerce.number().int().min(1000).default(120_000),
  /** How long processed-event records (dedup beyond the window) are kept. */
  SYNCLINE_PROCESSED_RETENTION_MS: z.coerce.number().int().min(60_000).default(7 * 24 * 3600_000),
  /** How long run history is kept. */
  SYNCLINE_RUN_RETENTION_MS: z.coerce.number().int().min(60_000).default(30 * 24 * 3600_000),
  /** A channel that stays down longer than this dead-letters the waiting event. */
  SYNCLINE_MAX_RETRY_AGE_MS: z.coerce.number().int().min(1000).default(24 * 3600_000),
  /** Largest accepted request body of POST /api/events, in bytes. */
  SYNCLINE_MAX_EVENT_BYTES: z.coerce.number().int().min(1024).default(1_000_000),
  /** Most events in one batch request of POST /api/events. */
  SYNCLINE_MAX_BATCH_EVENTS: z.coerce.number().int().min(1).default(1_000),
  /**
   * Hosts or CIDR ranges HTTP actions may reach although they are private or loopback
   * (comma-separated, e.g. `127.0.0.1,10.0.0.0/8,erp.internal`). Empty: only public addresses.
   */
  SYNCLINE_HTTP_ALLOWLIST: z.string().default(""),
  /** `on` only in the browser tests (e2e/serve.ts): /e2e-fault fails to render, to show the error page. Off: that page is a 404. */
  SYNCLINE_E2E_FAULT_PAGE: z.enum(["on", "off"]).default("off"),
  /**
   * 32-byte key (base64 or hex) that encrypts stored credentials. Required in production; `npm start`
   * creates one under DATA_DIR for local use.
   */
  SYNCLINE_SECRET_KEY: z.string().optional(),

  // Serverless mode (see README "Serverless mode").
  /**
   * `on`: `npm start` runs a runtime worker beside the web app. `off`: no worker; the web app drains
   * partitions right after ingest and on GET /api/cron/drain (Vercel and other function hosts).
   */
  SYNCLINE_WORKER: z.enum(["on", "off"], { message: "on or off" }).default("on"),
  /** Bearer secret GET /api/cron/drain requires (Vercel Cron sends it); unset: the route answers 503. */
  CRON_SECRET: z.string().min(16, "CRON_SECRET must be at least 16 characters").optional(),
  /** Time budget of the drain after POST /api/events answered; keep it under the route's maxDuration (60 s). */
  SYNCLINE_INGEST_DRAIN_BUDGET_MS: z.coerce.number().int().min(100).default(40_000),
  /** Time budget of one GET /api/cron/drain; keep it under the route's maxDuration (300 s). */
  SYNCLINE_CRON_DRAIN_BUDGET_MS: z.coerce.number().int().min(100).default(240_000),
  // Sign-in and the closed surface (README "Security").
  /**
   * The URL people open, e.g. `https://syncline.example.com`. Requests whose Host differs are
   * refused; cookies are Secure and HSTS is sent when it is https. Unset: only localhost /
   * 127.0.0.1 are accepted, and `npm start` listens on 127.0.0.1.
   */
  SYNCLINE_PUBLIC_URL: z.httpUrl("SYNCLINE_PUBLIC_URL must be an http(s) URL, e.g. https://syncline.example.com").optional(),
  /** With SYNCLINE_ADMIN_PASSWORD: makes sure this owner account exists at start (automation, tests). */
  SYNCLINE_ADMIN_EMAIL: z.email("SYNCLINE_ADMIN_EMAIL must be an email address").optional(),
  SYNCLINE_ADMIN_PASSWORD: z.string().min(10, "SYNCLINE_ADMIN_PASSWORD must be at least 10 characters").optional(),
  /**
   * `true`: credentials of well-known providers (Shopify, DeepL, Bol.com, Amazon SP-API) may point
   * at other hosts than the provider's own (a proxy, a test server). Default: pinned.
   */
  SYNCLINE_ALLOW_CUSTOM_PROVIDER_HOSTS: z.stringbool().default(false),
  /**
   * `true`: a reverse proxy in front sets X-Forwarded-For, so the per-IP sign-in limit keys on it.
   * Default: not trusted (a client could pick its own address), unless on Vercel.
   */
  SYNCLINE_TRUST_PROXY: z.stringbool().default(false),
  /** Set to `1` by Vercel, whose edge writes X-Forwarded-For itself. */
  VERCEL: z.string().optional(),
  // Traces (README "Traces", docs/decisions/0023). The OTLP exporter reads its other OTEL_* variables itself.
  /** OTLP/HTTP collector base URL, e.g. `http://localhost:4318`: spans go to `<it>/v1/traces`. Unset: no tracing at all. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, message: "OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, e.g. http://localhost:4318" }).optional(),
  /** The service name spans are reported under. Default `syncline`. */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
}).superRefine((e, ctx) => {
  const signIns = [
    e.NATS_CREDS || e.NATS_CREDS_FILE ? "NATS_CREDS" : undefined,
    e.NATS_USER || e.NATS_PASSWORD ? "NATS_USER/NATS_PASSWORD" : undefined,
    e.NATS_TOKEN ? "NATS_TOKEN" : undefined,
  ].filter(Boolean);
  if (signIns.length > 1) {
    ctx.addIssue({ code: "custom", path: ["NATS_CREDS"], message: `set one way to sign in to NATS, not ${signIns.join(" and ")}` });
  }
  if (e.NATS_CREDS && e.NATS_CREDS_FILE) {
    ctx.addIssue({ code: "custom", path: ["NATS_CREDS_FILE"], message: "set NATS_CREDS or NATS_CREDS_FILE, not both" });
  }
  if (e.NATS_USER && !e.NATS_PASSWORD) {
    ctx.addIssue({ code: "custom", path: ["NATS_PASSWORD"], message: "required when NATS_USER is set" });
  }
  if (e.NATS_PASSWORD && !e.NATS_USER) {
    ctx.addIssue({ code: "custom", path: ["NATS_USER"], message: "required when NATS_PASSWORD is set" });
  }
  if (Boolean(e.NATS_TLS_CERT) !== Boolean(e.NATS_TLS_KEY)) {
    ctx.addIssue({
      code: "custom",
      path: [e.NATS_TLS_CERT ? "NATS_TLS_KEY" : "NATS_TLS_CERT"],
      message: "a client certificate needs both NATS_TLS_CERT and NATS_TLS_KEY",
    });
  }
});

export type Env = z.infer<typeof envSchema>;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  return result.data;
}

let cached: Env | undefined;
/** The parsed environment of this process. */
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
