import { db } from "@/server/db/client";
import { apiRoute, jsonResponse } from "@/server/http-api/api-response";
import { publishFlow } from "@/server/flows/flow-store";
import { notifyFlowsChanged } from "@/server/runtime/worker-notifier";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/** Publishes the current draft as the next version; 422 with the problems when it has any. */
export const POST = apiRoute<{ id: string }>(async (_request, { params }) => {
  const { version } = await publishFlow(db(), params.id);
  void notifyFlowsChanged();
  return jsonResponse({ id: params.id, version });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
