import { z, type ZodType } from "zod";
import { flowDocumentSchema } from "@/server/flows/flow-document";
import { apiErrorSchema } from "./api-response";
import { healthSchema } from "./health";

// /api/openapi.json, generated from the same zod schemas the routes validate with, so the
// description cannot drift from the behaviour.

interface Operation {
  method: "get" | "post" | "delete";
  path: string;
  summary: string;
  auth?: boolean;
  pathParams?: string[];
  body?: ZodType;
  responses: Record<number, { description: string; schema?: ZodType }>;
}

const flowIdResponse = z.object({ id: z.string(), problems: z.array(z.object({ code: z.string(), message: z.string(), nodeId: z.string().optional() })) });
const publishResponse = z.object({ id: z.string(), version: z.number().int() });

const errors = {
  400: { description: "The body is not valid: `error.issues` lists each field", schema: apiErrorSchema },
  401: { description: "Missing or invalid API key", schema: apiErrorSchema },
};

export const operations: Operation[] = [
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
    method: "post", path: "/api/flows/{id}/publish", summary: "Publish the draft as the next immutable version", auth: true, pathParams: ["id"],
    responses: {
      200: { description: "Published", schema: publishResponse },
      401: errors[401],
      404: { description: "No such flow", schema: apiErrorSchema },
      422: { description: "The draft has problems; `error.issues` names the nodes", schema: apiErrorSchema },
    },
  },
  {
    method: "get", path: "/api/health", summary: "Database and NATS status",
    responses: { 200: { description: "Everything reachable", schema: healthSchema }, 503: { description: "Something is down", schema: healthSchema } },
  },
];

function jsonSchema(schema: ZodType, io: "input" | "output") {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" });
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(op.auth ? { security: [{ bearer: [] }] } : { security: [] }),
      parameters: (op.pathParams ?? []).map((name) => ({ name, in: "path", required: true, schema: { type: "string" } })),
      ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(op.body, "input") } } } } : {}),
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
