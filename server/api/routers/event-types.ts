import "server-only";
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { createTRPCRouter, viewerProcedure, editorProcedure } from "@/server/api/trpc";
import { Prisma, type EventType, type PrismaClient } from "@/server/db/generated/client";
import {
  compileJsonSchema,
  customExampleEvent,
  eventSchemaRegistry,
  reservedEventTypeReason,
  schemaIssues,
} from "@/server/events/event-schema-registry";
import { builtInEventTypes, eventDataFieldPaths, eventTypeNameSchema } from "@/server/events/event-types";
import { startTestRunsForType } from "@/server/runtime/test-runs";
import { drainTestRunsAfterTestEvent } from "@/server/runtime/serverless-drain";
import { recordAudit } from "@/server/audit/audit-log";
import { env } from "@/server/env";
import { after } from "next/server";

// The schema registry's custom half (docs/architecture.md): event types people register in the UI, each with
// a JSON Schema of its `data` and an example that must satisfy it. The type name is the key and
// cannot be renamed, because flows (trigger:custom-event) refer to it by name.

const MAX_SCHEMA_CHARS = 200_000;
const MAX_EXAMPLE_CHARS = 1_000_000;

const typeName = z.string().trim().pipe(eventTypeNameSchema);
const byType = z.object({ type: typeName });

// Issues inside the schema or example are reported under the field (`jsonSchema`, `example`) so the
// form can show them next to it; the message carries the path inside the JSON, which a flattened
// tRPC error would otherwise lose.
function addNested(ctx: z.RefinementCtx, field: "jsonSchema" | "example", issues: { path: string; message: string }[]) {
  for (const issue of issues.slice(0, 20)) {
    ctx.addIssue({
      code: "custom",
      path: [field, ...(issue.path ? issue.path.split(".") : [])],
      message: issue.path ? `${issue.path}: ${issue.message}` : issue.message,
    });
  }
}

const definition = z
  .object({
    description: z.string().trim().max(2_000, "Keep the description under 2,000 characters").default(""),
    jsonSchema: z.json(),
    example: z.json(),
  })
  .superRefine((input, ctx) => {
    if (JSON.stringify(input.jsonSchema).length > MAX_SCHEMA_CHARS) {
      ctx.addIssue({ code: "custom", path: ["jsonSchema"], message: `the schema is larger than ${MAX_SCHEMA_CHARS.toLocaleString("en")} characters` });
      return;
    }
    if (JSON.stringify(input.example).length > MAX_EXAMPLE_CHARS) {
      ctx.addIssue({ code: "custom", path: ["example"], message: `the example is larger than ${MAX_EXAMPLE_CHARS.toLocaleString("en")} characters` });
      return;
    }
    const compiled = compileJsonSchema(input.jsonSchema);
    if (!compiled.ok) {
      addNested(ctx, "jsonSchema", compiled.issues);
      return;
    }
    const exampleIssues = schemaIssues(compiled.schema, input.example, "");
    if (exampleIssues.length > 0) {
      addNested(ctx, "example", exampleIssues.map((issue) => ({ ...issue, message: `does not match the schema: ${issue.message}` })));
    }
  });

const createInput = definition.safeExtend({ type: typeName }).superRefine((input, ctx) => {
  const reserved = reservedEventTypeReason(input.type);
  if (reserved) ctx.addIssue({ code: "custom", path: ["type"], message: `${reserved}: choose another name, e.g. com.acme.${input.type}` });
});

const updateInput = definition.safeExtend({ type: typeName });

function present(row: EventType) {
  const compiled = compileJsonSchema(row.jsonSchema);
  return {
    id: row.id,
    type: row.type,
    description: row.description,
    jsonSchema: row.jsonSchema,
    example: row.example,
    /** The example as a complete CloudEvent, as the test-event button sends it. */
    exampleEvent: customExampleEvent(row.type, row.example),
    /** Paths inside `event.data` for completion; empty when the stored schema no longer compiles. */
    fields: compiled.ok ? compiled.fields : [],
    schemaProblems: compiled.ok ? [] : compiled.issues,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function json(value: z.core.util.JSONType): Prisma.InputJsonValue | typeof Prisma.JsonNull {
  return value === null ? Prisma.JsonNull : (value as Prisma.InputJsonValue);
}

function fieldError(code: TRPCError["code"], field: string, message: string): TRPCError {
  // A ZodError as cause: the error formatter turns it into fieldErrors the form shows inline.
  // ZodRealError, because zod 4's plain ZodError is no Error and tRPC would wrap it beyond recognition.
  return new TRPCError({ code, message, cause: new z.ZodRealError([{ code: "custom", path: [field], message, input: undefined }]) });
}

async function findOrThrow(db: PrismaClient, type: string): Promise<EventType> {
  const row = await db.eventType.findUnique({ where: { type } });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: `No custom event type "${type}"` });
  return row;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}

export const eventTypesRouter = createTRPCRouter({
  /** Built-in types (read-only): their fields and a complete example event. */
  builtIn: viewerProcedure.query(() =>
    Object.values(builtInEventTypes).map((definition) => ({
      type: definition.type,
      description: definition.description,
      fields: eventDataFieldPaths(definition.type),
      example: definition.example,
    })),
  ),

  /** Custom types, by name. */
  list: viewerProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db.eventType.findMany({ orderBy: { type: "asc" } });
    return rows.map(present);
  }),

  get: viewerProcedure.input(byType).query(async ({ ctx, input }) => present(await findOrThrow(ctx.db, input.type))),

  create: editorProcedure.input(createInput).mutation(async ({ ctx, input }) => {
    try {
      const row = await ctx.db.eventType.create({
        data: { type: input.type, description: input.description, jsonSchema: json(input.jsonSchema), example: json(input.example) },
      });
      eventSchemaRegistry().invalidate();
      return present(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw fieldError("CONFLICT", "type", `an event type named "${input.type}" already exists`);
      throw error;
    }
  }),

  update: editorProcedure.input(updateInput).mutation(async ({ ctx, input }) => {
    await findOrThrow(ctx.db, input.type);
    const row = await ctx.db.eventType.update({
      where: { type: input.type },
      data: { description: input.description, jsonSchema: json(input.jsonSchema), example: json(input.example) },
    });
    eventSchemaRegistry().invalidate();
    return present(row);
  }),

  delete: editorProcedure.input(byType).mutation(async ({ ctx, input }) => {
    const deleted = await ctx.db.eventType.deleteMany({ where: { type: input.type } });
    if (deleted.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: `No custom event type "${input.type}"` });
    eventSchemaRegistry().invalidate();
  }),

  /** The page's Test event button: the event through every enabled flow that listens to the type, as test runs. */
  testEvent: editorProcedure
    .input(
      byType.extend({
        event: z.object({
          subject: z.string({ error: "required: subject is the ordering key (e.g. the SKU)" }).trim().min(1, "required: subject is the ordering key (e.g. the SKU)").max(1000, "Keep the ordering key under 1,000 characters"),
          data: z.unknown(),
        }),
        mode: z.enum(["dry", "live"], { error: "choose Dry run or Live" }).default("dry"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const started = await startTestRunsForType(ctx.db, { type: input.type, event: input.event, mode: input.mode });
      // Live tests call outside systems for real: one audit entry per flow that ran.
      if (input.mode === "live") {
        for (const run of started.runs) {
          await recordAudit(ctx.db, ctx.actor, "flow.testedLive", { type: "flow", id: run.flowId }, { flowName: run.flowName, runId: run.runId, orderingKey: input.event.subject, mode: "live", eventType: input.type });
        }
      }
      if (started.runs.length > 0 && env().SYNCLINE_WORKER === "off") after(() => drainTestRunsAfterTestEvent());
      return started;
    }),
});
