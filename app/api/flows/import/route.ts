import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { db } from "@/server/db/client";
import { jsonResponse, readJsonBody } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { flowDocumentSchema } from "@/server/flows/flow-document";
import { createFlow } from "@/server/flows/flow-store";
import { validateFlow } from "@/server/flows/validate-flow";

export const dynamic = "force-dynamic";

/** Imports a flow document as a new flow (a draft; problems are reported, not refused). */
export const POST = apiRoute({ role: "editor", scope: "full" }, async (request) => {
  const document = await readJsonBody(request, flowDocumentSchema, 5_000_000);
  const { id } = await createFlow(db(), document);
  const { problems } = validateFlow(document);
  return jsonResponse({ id, problems }, 201, { Location: `/api/flows/${id}/export` });
});
export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
