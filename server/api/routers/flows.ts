import "server-only";
import { env } from "@/server/env";
import { configuredAllowlist } from "@/server/outbound/address-warnings";
import { stepAddressInputSchema, stepAddressWarnings } from "@/server/flows/step-address-warnings";
import { templateReferences } from "@/server/flows/template-references";
import * as z from "zod";
import { createTRPCRouter, editorProcedure, viewerProcedure } from "@/server/api/trpc";
import { recordAudit } from "@/server/audit/audit-log";
import { flowDocumentSchema } from "@/server/flows/flow-document";
import { flowTemplates } from "@/server/flows/templates";
import * as flowStore from "@/server/flows/flow-store";
import { notifyFlowsChanged } from "@/server/runtime/worker-notifier";
import { startTestRun } from "@/server/runtime/test-runs";
import { drainTestRunsAfterTestEvent } from "@/server/runtime/serverless-drain";
import { after } from "next/server";
import { testEventSamples } from "@/server/events/sample-events";
import { eventTypeNameSchema } from "@/server/events/event-types";

const flowId = z.object({ id: z.string().min(1) });
const flowName = z.string().trim().min(1, "Give the flow a name").max(200, "Keep the name under 200 characters");

export const flowsRouter = createTRPCRouter({
  list: viewerProcedure
    .input(z.object({ search: z.string().max(200).optional() }).optional())
    .query(({ ctx, input }) => flowStore.listFlows(ctx.db, { search: input?.search })),

  get: viewerProcedure.input(flowId).query(({ ctx, input }) => flowStore.getFlow(ctx.db, input.id)),

  templates: viewerProcedure.query(() =>
    flowTemplates.map((t) => ({
      id: t.id,
      name: t.name,
      description: t.description,
      nodeCount: t.document.nodes.length,
      /** The channels and credentials its steps need: the new-flow dialog asks for each. */
      references: templateReferences(t.document),
    })),
  ),

  /**
   * What runs will refuse: addresses of steps (an HTTP request's URL, literal image URLs, the URLs of
   * the channel or credential a step names) that are private or loopback and not in SYNCLINE_HTTP_ALLOWLIST.
   */
  addressWarnings: editorProcedure
    .input(z.object({ steps: z.array(stepAddressInputSchema).max(500) }))
    .query(({ ctx, input }) => stepAddressWarnings(ctx.db, input.steps, configuredAllowlist())),

  create: editorProcedure
    .input(
      z.object({
        name: flowName.optional(),
        templateId: z.string().refine((id) => flowTemplates.some((t) => t.id === id), "unknown template: choose one of the listed templates").optional(),
        /** `nodeId.field` → the id of the channel or credential that step uses. */
        references: z.record(z.string().max(300), z.string().max(200)).optional(),
      }),
    )
    .mutation(({ ctx, input }) => flowStore.createFlowFromTemplate(ctx.db, input)),

  import: editorProcedure
    .input(z.object({ document: flowDocumentSchema }))
    .mutation(({ ctx, input }) => flowStore.createFlow(ctx.db, input.document)),

  rename: editorProcedure
    .input(flowId.extend({ name: flowName }))
    .mutation(({ ctx, input }) => flowStore.renameFlow(ctx.db, input.id, input.name)),

  duplicate: editorProcedure.input(flowId).mutation(({ ctx, input }) => flowStore.duplicateFlow(ctx.db, input.id)),

  delete: editorProcedure.input(flowId).mutation(({ ctx, input }) => flowStore.deleteFlow(ctx.db, input.id)),

  setEnabled: editorProcedure
    .input(flowId.extend({ enabled: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await flowStore.setFlowEnabled(ctx.db, input.id, input.enabled);
      void notifyFlowsChanged();
    }),

  save: editorProcedure
    .input(flowId.extend({ revision: z.number().int().positive(), document: flowDocumentSchema }))
    .mutation(({ ctx, input }) =>
      flowStore.saveDraft(ctx.db, { id: input.id, expectedRevision: input.revision, document: input.document }),
    ),

  publish: editorProcedure.input(flowId).mutation(async ({ ctx, input }) => {
    const published = await flowStore.publishFlow(ctx.db, input.id);
    await recordAudit(ctx.db, ctx.actor, "flow.published", { type: "flow", id: input.id }, { version: published.version });
    void notifyFlowsChanged();
    return published;
  }),

  /** The test-event button: a sample generated from the type's schema and the last 20 real events of the type. */
  testSamples: viewerProcedure
    .input(z.object({ type: eventTypeNameSchema }))
    .query(({ ctx, input }) => testEventSamples(ctx.db, input.type)),

  /**
   * Runs the editor's current draft (saved or not) for one event, as a test run through the
   * runtime. Dry run (default): outside calls are recorded, not sent. Needs no published version.
   */
  testEvent: editorProcedure
    .input(
      flowId.extend({
        document: z.unknown(),
        event: z.object({
          subject: z.string({ error: "required: subject is the ordering key (e.g. the SKU)" }).trim().min(1, "required: subject is the ordering key (e.g. the SKU)").max(1000, "Keep the ordering key under 1,000 characters"),
          data: z.unknown(),
        }),
        mode: z.enum(["dry", "live"], { error: "choose Dry run or Live" }).default("dry"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const started = await startTestRun(ctx.db, { flowId: input.id, document: input.document, event: input.event, mode: input.mode });
      // A live test calls the outside systems for real: who did it, on which flow, is audited.
      if (input.mode === "live") {
        const flow = await ctx.db.flow.findUnique({ where: { id: input.id }, select: { name: true } });
        await recordAudit(ctx.db, ctx.actor, "flow.testedLive", { type: "flow", id: input.id }, { flowName: flow?.name ?? null, runId: started.runId, orderingKey: input.event.subject, mode: "live" });
      }
      // Serverless mode has no worker to take the test event: run it after the answer (docs/decisions/0017).
      if (env().SYNCLINE_WORKER === "off") after(() => drainTestRunsAfterTestEvent());
      return started;
    }),

  versions: viewerProcedure.input(flowId).query(({ ctx, input }) => flowStore.listVersions(ctx.db, input.id)),

  restoreVersion: editorProcedure
    .input(flowId.extend({ version: z.number().int().positive(), revision: z.number().int().positive() }))
    .mutation(({ ctx, input }) =>
      flowStore.restoreVersion(ctx.db, { id: input.id, version: input.version, expectedRevision: input.revision }),
    ),
});
