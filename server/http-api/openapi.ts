import * as z from "zod";
import type { ZodType } from "zod";
import { flowDocumentSchema } from "@/server/flows/flow-document";
import { apiErrorSchema } from "./api-response";
import { healthSchema } from "./health";
import { drainReportSchema } from "./drain-report";
import { flowStateResponseSchema, publishBodySchema } from "./flow-enablement";
import { cloudEventSchema } from "@/server/events/event-types";
import { ingestResponseSchema } from "./events-request";
import {
  keyTimelineJsonSchema,
  runDetailJsonSchema,
  runListJsonSchema,
  runListQuerySchema,
  timelineQuerySchema,
} from "@/server/history/run-history";
import {
  bulkRedriveResultJsonSchema,
  bulkRedriveSchema,
  deadLetterDetailJsonSchema,
  deadLetterListJsonSchema,
  deadLetterListQuerySchema,
  deadLetterSummaryJsonSchema,
  discardQuerySchema,
  redriveBodySchema,
} from "@/server/history/dead-letter-store";

// /api/openapi.json, generated from the same zod schemas the routes validate with, so the
// description cannot drift from the behaviour.

interface Operation {
  method: "get" | "post" | "delete";
  path: string;
  summary: string;
  auth?: boolean;
  pathParams?: string[];
  body?: ZodType;
  /** Request bodies by content type, for operations that accept more than application/json. */
  bodies?: Record<string, ZodType>;
  /** The body may be left out entirely (e.g. a redrive without an edit). */
  bodyOptional?: boolean;
  /** Query parameters, one per property of the object schema the route parses them with. */
  query?: z.ZodObject;
  responses: Record<number, { description: string; schema?: ZodType }>;
}

const flowIdResponse = z.object({ id: z.string(), problems: z.array(z.object({ code: z.string(), message: z.string(), nodeId: z.string().optional() })) });
const publishResponse = z.object({ id: z.string(), version: z.number().int(), enabled: z.boolean().optional() });
const webhookAcceptedSchema = z.object({ id: z.string(), status: z.enum(["accepted", "duplicate"]) });

const queryError = { description: "A query parameter is not valid: `error.issues` names it", schema: apiErrorSchema };
const deadLetterNotFound = { description: "No such dead letter", schema: apiErrorSchema };

const errors = {
  400: { description: "The body is not valid: `error.issues` lists each field", schema: apiErrorSchema },
  401: { description: "Missing or invalid API key", schema: apiErrorSchema },
};

const operations: Operation[] = [
  {
    method: "post", path: "/api/flows/import", summary: "Import a flow document as a new flow (draft)", auth: true,
    body: flowDocumentSchema,
    responses: { 201: { description: "Created", schema: flowIdResponse }, ...errors, 413: { description: "Body too large", schema: apiErrorSchema } },
  },
  {
    method: "get", path: "/api/flows/{id}/export", summary: "Export a flow's draft as a flow document", auth: true, pathParams: ["id"],
    responses: { 200: { description: "The flow document", schema: flowDocumentSchema }, 401: errors[401], 404: { description: "No such flow", schema: apiErrorSchema } },
  },
  {
    method: "post", path: "/api/flows/{id}/publish", summary: "Publish the draft as the next immutable version; `{\"enable\": true}` also enables it", auth: true, pathParams: ["id"],
    body: publishBodySchema, bodyOptional: true,
    responses: {
      200: { description: "Published", schema: publishResponse },
      401: errors[401],
      404: { description: "No such flow", schema: apiErrorSchema },
      422: { description: "The draft has problems; `error.issues` names the nodes", schema: apiErrorSchema },
    },
  },
  {
    method: "post", path: "/api/flows/{id}/enable", summary: "Enable a flow: its published version runs on new events", auth: true, pathParams: ["id"],
    responses: {
      200: { description: "Enabled", schema: flowStateResponseSchema },
      401: errors[401],
      404: { description: "No such flow", schema: apiErrorSchema },
      409: { description: "The flow has never been published", schema: apiErrorSchema },
    },
  },
  {
    method: "post", path: "/api/flows/{id}/disable", summary: "Disable a flow: it stops receiving events", auth: true, pathParams: ["id"],
    responses: { 200: { description: "Disabled", schema: flowStateResponseSchema }, 401: errors[401], 404: { description: "No such flow", schema: apiErrorSchema } },
  },
  {
    method: "post", path: "/api/hooks/{path}", summary: "Call a flow's webhook trigger (authenticated by the trigger's secret, not an API key)", pathParams: ["path"],
    bodies: { "application/json": z.unknown() },
    responses: {
      202: { description: "Stored in JetStream as a webhook.received event for the flow", schema: webhookAcceptedSchema },
      400: { description: "The body is not valid JSON or does not match the trigger's body schema: `error.issues` names each field", schema: apiErrorSchema },
      401: { description: "Missing, wrong or expired signature (X-Syncline-Timestamp, X-Syncline-Signature) or bearer token; nothing was stored", schema: apiErrorSchema },
      404: { description: "No enabled, published flow has this webhook path", schema: apiErrorSchema },
      413: { description: "Body over SYNCLINE_MAX_EVENT_BYTES", schema: apiErrorSchema },
      503: { description: "NATS unreachable: retry after `Retry-After` seconds", schema: apiErrorSchema },
    },
  },
  {
    method: "post", path: "/api/sources/{id}/eventbridge", summary: "An EventBridge API destination for a source (authenticated by the source's header credential: the connection's API key or basic auth)", pathParams: ["id"],
    bodies: { "application/json": z.unknown() },
    responses: {
      202: { description: "Stored in JetStream after its PubAck; `duplicate` for a repeated EventBridge event id", schema: webhookAcceptedSchema },
      400: { description: "Not an EventBridge event, or its detail does not fit the event type (then also in the dead-letter inbox)", schema: apiErrorSchema },
      401: { description: "The source's header is missing or wrong; nothing was stored", schema: apiErrorSchema },
      404: { description: "No EventBridge source with this id", schema: apiErrorSchema },
      503: { description: "NATS unreachable or the source paused: EventBridge retries", schema: apiErrorSchema },
    },
  },
  {
    method: "post", path: "/api/sources/{id}/eventgrid", summary: "An Azure Event Grid webhook subscription for a source (secret as ?secret= or the source's header); answers the SubscriptionValidation handshake; OPTIONS answers the CloudEvents abuse-protection handshake", pathParams: ["id"],
    bodies: { "application/json": z.unknown(), "application/cloudevents+json": z.unknown(), "application/cloudevents-batch+json": z.unknown() },
    responses: {
      200: { description: "`{ validationResponse }` for a SubscriptionValidation event, else `{ events: [{ id, status }] }` after the PubAcks", schema: z.unknown() },
      400: { description: "Invalid events, or events whose data does not fit the type (then also in the dead-letter inbox)", schema: apiErrorSchema },
      401: { description: "The secret is missing or wrong; nothing was stored", schema: apiErrorSchema },
      404: { description: "No Event Grid source with this id", schema: apiErrorSchema },
      503: { description: "NATS unreachable or the source paused: Event Grid retries", schema: apiErrorSchema },
    },
  },
  {
    method: "post", path: "/api/events", summary: "Send one CloudEvent, or a batch with Content-Type application/cloudevents-batch+json", auth: true,
    bodies: {
      "application/cloudevents+json": cloudEventSchema,
      "application/json": cloudEventSchema,
      "application/cloudevents-batch+json": z.array(cloudEventSchema).min(1),
    },
    responses: {
      202: { description: "Stored in JetStream (after its PubAck); `duplicate`: this id was already stored within the duplicate window", schema: ingestResponseSchema },
      400: { description: "Invalid JSON, envelope or data, or an unknown type: `error.issues` names each field (`0.data.sku` in a batch); nothing was published", schema: apiErrorSchema },
      401: errors[401],
      413: { description: "Body over SYNCLINE_MAX_EVENT_BYTES, or an event over the NATS message size", schema: apiErrorSchema },
      415: { description: "Unsupported Content-Type (binary mode — `ce-specversion` and the other `ce-*` headers with the data as the body — takes any Content-Type)", schema: apiErrorSchema },
      503: { description: "NATS or JetStream unreachable: retry after the `Retry-After` header (seconds)", schema: apiErrorSchema },
    },
  },
  {
    method: "get", path: "/api/runs", summary: "List runs newest first, filtered by flow, subject (ordering key) and status", auth: true,
    query: runListQuerySchema,
    responses: { 200: { description: "One page of runs (steps left out)", schema: runListJsonSchema }, 400: queryError, 401: errors[401] },
  },
  {
    method: "get", path: "/api/runs/{id}", summary: "One run with its steps", auth: true, pathParams: ["id"],
    responses: { 200: { description: "The run", schema: runDetailJsonSchema }, 401: errors[401], 404: { description: "No such run", schema: apiErrorSchema } },
  },
  {
    method: "get", path: "/api/timeline", summary: "Everything that happened to one ordering key across all flows: runs, dead letters, held events", auth: true,
    query: timelineQuerySchema,
    responses: { 200: { description: "Newest first", schema: keyTimelineJsonSchema }, 400: queryError, 401: errors[401] },
  },
  {
    method: "get", path: "/api/dead-letters", summary: "List dead letters newest first (open ones unless `status` says otherwise)", auth: true,
    query: deadLetterListQuerySchema,
    responses: { 200: { description: "One page of dead letters", schema: deadLetterListJsonSchema }, 400: queryError, 401: errors[401] },
  },
  {
    method: "get", path: "/api/dead-letters/{id}", summary: "One dead letter with its event, headers and every attempt", auth: true, pathParams: ["id"],
    responses: { 200: { description: "The dead letter", schema: deadLetterDetailJsonSchema }, 401: errors[401], 404: deadLetterNotFound },
  },
  {
    method: "delete", path: "/api/dead-letters/{id}", summary: "Discard a dead letter: its event will not run in this flow; the events held behind it are released (default) or discarded too (`held=discard`), and later events of its key go on", auth: true, pathParams: ["id"],
    query: discardQuerySchema,
    responses: {
      204: { description: "Discarded (with `held=discard` and events held: `discard-requested` until the owning worker has dropped them, then `discarded`)" },
      400: queryError, 401: errors[401], 404: deadLetterNotFound, 409: { description: "Already redriven or discarded", schema: apiErrorSchema },
    },
  },
  {
    method: "post", path: "/api/dead-letters/{id}/redrive", summary: "Redrive an open dead letter, optionally with an edited event (id, type and subject must stay)", auth: true, pathParams: ["id"],
    body: redriveBodySchema, bodyOptional: true,
    responses: {
      202: { description: "Redrive requested; the worker owning the letter's partition runs it in the key's order", schema: deadLetterSummaryJsonSchema },
      400: { description: "The edited event is not valid or changes id, type or subject: `error.issues` names each field", schema: apiErrorSchema },
      401: errors[401],
      404: deadLetterNotFound,
      409: { description: "The dead letter is not open (redrive already requested, redriven or discarded)", schema: apiErrorSchema },
      413: { description: "Body too large", schema: apiErrorSchema },
    },
  },
  {
    method: "post", path: "/api/dead-letters/redrive", summary: "Redrive many open dead letters: by ids, or every open one of a flow and/or subject", auth: true,
    body: bulkRedriveSchema,
    responses: { 202: { description: "Redrives requested", schema: bulkRedriveResultJsonSchema }, ...errors, 413: { description: "Body too large", schema: apiErrorSchema } },
  },
  {
    method: "get", path: "/api/cron/drain", auth: true,
    summary: "Serverless mode: fire due schedule ticks, then run held events that are due and every partition with lag, within a time budget. Send `Authorization: Bearer <CRON_SECRET>` (as Vercel Cron does), not an API key",
    responses: {
      200: { description: "What this drain did", schema: drainReportSchema },
      401: { description: "Missing or wrong `Authorization: Bearer <CRON_SECRET>`", schema: apiErrorSchema },
      503: { description: "CRON_SECRET is not set (the route is disabled), or NATS or the database is unreachable", schema: apiErrorSchema },
    },
  },
  {
    method: "get", path: "/api/health", summary: "Database, NATS and worker status",
    responses: { 200: { description: "Everything reachable", schema: healthSchema }, 503: { description: "Something is down", schema: healthSchema } },
  },
];

function jsonSchema(schema: ZodType, io: "input" | "output") {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" });
}

function queryParameters(query: z.ZodObject) {
  const schema = jsonSchema(query, "input") as { properties?: Record<string, { description?: string }>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: "query",
    required: schema.required?.includes(name) ?? false,
    ...(property.description ? { description: property.description } : {}),
    schema: property,
  }));
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(op.auth ? { security: [{ bearer: [] }] } : { security: [] }),
      parameters: [
        ...(op.pathParams ?? []).map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
        ...(op.query ? queryParameters(op.query) : []),
      ],
      ...(op.body ? { requestBody: { required: !op.bodyOptional, content: { "application/json": { schema: jsonSchema(op.body, "input") } } } } : {}),
      ...(op.bodies
        ? { requestBody: { required: true, content: Object.fromEntries(Object.entries(op.bodies).map(([type, schema]) => [type, { schema: jsonSchema(schema, "input") }])) } }
        : {}),
      responses: Object.fromEntries(
        Object.entries(op.responses).map(([status, r]) => [
          status,
          { description: r.description, ...(r.schema ? { content: { "application/json": { schema: jsonSchema(r.schema, "output") } } } : {}) },
        ]),
      ),
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Syncline API", version: "1", description: "Automation API of Syncline. Authenticate with `Authorization: Bearer <api key>`." },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
