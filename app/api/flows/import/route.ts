import { db } from "@/server/db/client";
import { apiRoute, jsonResponse, readJsonBody } from "@/server/http-api/api-response";
import { flowDocumentSchema } from "@/server/flows/flow-document";
import { createFlow } from "@/server/flows/flow-store";
import { validateFlow } from "@/server/flows/validate-flow";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/** Imports a flow document as a new flow (a draft; problems are reported, not refused). */
export const POST = apiRoute(async (request) => {
  const document = await readJsonBody(request, flowDocumentSchema, 5_000_000);
  const { id } = await createFlow(db(), document);
  const { problems } = validateFlow(document);
  return jsonResponse({ id, problems }, 201, { Location: `/api/flows/${id}/export` });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
