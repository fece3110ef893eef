import "server-only";
import { adminProcedure, createTRPCRouter } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import { env } from "@/server/env";
import { sendTestAlert } from "@/server/alerts/alert-delivery";
import {
  alertSettingsInputSchema, alertTarget, getAlertSettings, removeAlertSettings, rotateAlertSecret, saveAlertSettings,
} from "@/server/alerts/alert-settings";

// Settings → Alerts (admin only). The signing secret leaves the server only in the answer to the
// first save, a rotation, or an explicit reveal (audited).

const allowlist = () => env().SYNCLINE_HTTP_ALLOWLIST.split(",").map((s) => s.trim()).filter(Boolean);
const target = { type: "alerts", id: "default" };

export const alertsRouter = createTRPCRouter({
  /** Wrapped: a bare null does not survive the transformer as a query result. */
  get: adminProcedure.query(async ({ ctx }) => ({ settings: await getAlertSettings(ctx.db) })),

  /** `secret` is set only when this save created the settings: show it once. */
  save: adminProcedure.input(alertSettingsInputSchema).mutation(async ({ ctx, input }) => {
    const result = await saveAlertSettings(ctx.db, input, { allowlist: allowlist() });
    await recordAudit(ctx.db, ctx.actor, "alerts.updated", target, { url: input.url, minIntervalMinutes: input.minIntervalMinutes, onDeadLetter: input.onDeadLetter, onChannelDown: input.onChannelDown });
    return result;
  }),

  revealSecret: adminProcedure.mutation(async ({ ctx }) => {
    const settings = await alertTarget(ctx.db);
    if (!settings) return { secret: null };
    await recordAudit(ctx.db, ctx.actor, "alerts.secretRevealed", target);
    return { secret: settings.secret };
  }),

  rotateSecret: adminProcedure.mutation(async ({ ctx }) => {
    const result = await rotateAlertSecret(ctx.db);
    await recordAudit(ctx.db, ctx.actor, "alerts.secretRotated", target);
    return result;
  }),

  sendTest: adminProcedure.mutation(({ ctx }) => sendTestAlert(ctx.db, { allowlist: allowlist(), publicUrl: env().SYNCLINE_PUBLIC_URL })),

  remove: adminProcedure.mutation(async ({ ctx }) => {
    await removeAlertSettings(ctx.db);
    await recordAudit(ctx.db, ctx.actor, "alerts.removed", target);
  }),
});
