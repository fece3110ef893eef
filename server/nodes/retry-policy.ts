import * as z from "zod";

// docs/guarantees.md §4: every node that talks to an outside system has its own retry policy. The runtime
// decides *whether* an error is retried (transient vs permanent); this decides *when*.

export const retryPolicySchema = z
  .object({
    attempts: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(5)
      .meta({ title: "Attempts", description: "How many times the step is tried before the event goes to the dead-letter queue (1 = no retries)." }),
    initialBackoffMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(1_000)
      .meta({ title: "First wait (ms)", description: "Wait before the first retry; each further retry waits twice as long." }),
    maxBackoffMs: z
      .number()
      .int()
      .min(0)
      .max(86_400_000)
      .default(60_000)
      .meta({ title: "Longest wait (ms)", description: "Waits stop growing at this value." }),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .meta({
        title: "Jitter",
        description: "Fraction of each wait that is random (0 to 1), so many events failing together do not retry in lockstep.",
      }),
  })
  .refine((policy) => policy.maxBackoffMs >= policy.initialBackoffMs, {
    message: "the longest wait must be at least the first wait",
    path: ["maxBackoffMs"],
  });

export type RetryPolicy = z.infer<typeof retryPolicySchema>;

export const DEFAULT_RETRY_POLICY: RetryPolicy = retryPolicySchema.parse({});

/** The `retry` field every outside-calling action has. */
export function retryPolicyField(defaults: Partial<RetryPolicy> = {}) {
  return retryPolicySchema.default({ ...DEFAULT_RETRY_POLICY, ...defaults }).meta({
    title: "Retries",
    description: "How often and how patiently this step is retried on temporary errors (network, timeouts, 5xx, 429).",
  });
}

/** The policy in a node's config, or the default for configs saved without one. */
export function retryPolicyOf(config: unknown): RetryPolicy {
  const candidate = typeof config === "object" && config !== null ? (config as { retry?: unknown }).retry : undefined;
  const parsed = retryPolicySchema.safeParse(candidate ?? {});
  return parsed.success ? parsed.data : DEFAULT_RETRY_POLICY;
}

/**
 * How long to wait before retry number `retry` (1 = the first retry): exponential backoff capped
 * at `maxBackoffMs`, with the `jitter` fraction of it randomised downwards.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, retry - 1);
  const base = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.min(exponent, 40));
  return Math.round(base * (1 - policy.jitter * random()));
}
