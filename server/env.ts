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
