import * as z from "zod";
import { defineNode } from "../define-node";
import { MAX_DELAY_MS, parseDuration } from "./duration";

export const delayNode = defineNode({
  kind: "logic:delay",
  version: 1,
  label: "Delay",
  description: "Waits before continuing, e.g. to let a marketplace index a product first.",
  icon: "hourglass",
  category: "Logic",
  config: z.object({
    duration: z
      .union([z.number().int().min(0), z.string().trim().min(1)])
      .superRefine((value, ctx) => {
        const ms = parseDuration(value);
        if (ms === null) ctx.addIssue({ code: "custom", message: 'not a duration: use milliseconds or text like "5m", "1h30m", "PT10S"' });
        else if (ms > MAX_DELAY_MS) ctx.addIssue({ code: "custom", message: "a delay can be at most 7 days" });
      })
      .default("5m")
      .meta({ title: "Wait for", description: 'Milliseconds, or text such as "30s", "5m", "1h30m", "2d".', placeholder: "5m" }),
  }),
  output: z.object({ delayedMs: z.number().int().meta({ description: "How long the step waited, in milliseconds" }) }),
});
