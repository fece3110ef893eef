import { z } from "zod";

// Every environment variable the app reads, parsed once. Invalid values stop the process with a
// message that names the variable, instead of failing later somewhere far away.
const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  /** Postgres connection string. Unset: an embedded PGlite database under DATA_DIR. */
  DATABASE_URL: z.url().optional(),
  /** NATS server URL. Unset: 127.0.0.1:4222 if it answers, else a nats-server started for you. */
  NATS_URL: z.string().min(1).optional(),
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
  /**
   * Hosts or CIDR ranges HTTP actions may reach although they are private or loopback
   * (comma-separated, e.g. `127.0.0.1,10.0.0.0/8,erp.internal`). Empty: only public addresses.
   */
  SYNCLINE_HTTP_ALLOWLIST: z.string().default(""),
  /**
   * 32-byte key (base64 or hex) that encrypts stored credentials. Required in production; `npm start`
   * creates one under DATA_DIR for local use.
   */
  SYNCLINE_SECRET_KEY: z.string().optional(),

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
