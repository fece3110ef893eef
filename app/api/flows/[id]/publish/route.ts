import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { publishBodySchema, readOptionalBody } from "@/server/http-api/flow-enablement";
import { recordAudit } from "@/server/audit/audit-log";
import { publishFlow, setFlowEnabled } from "@/server/flows/flow-store";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { notifyFlowsChanged } from "@/server/runtime/worker-notifier";

export const dynamic = "force-dynamic";

/**
 * Publishes the current draft as the next version; 422 with the problems when it has any.
 * `{"enable": true}` also enables the flow, so automation can deploy in one call.
 */
export const POST = apiRoute<{ id: string }>({ role: "editor", scope: "full" }, async (request, { params, caller }) => {
  const body = await readOptionalBody(request, publishBodySchema);
  const { version } = await publishFlow(db(), params.id);
  await recordAudit(db(), caller.actor, "flow.published", { type: "flow", id: params.id }, { version });
  if (body.enable) await setFlowEnabled(db(), params.id, true);
  void notifyFlowsChanged();
  return jsonResponse({ id: params.id, version, ...(body.enable ? { enabled: true } : {}) });
});

export const { GET, PUT, PATCH, DELETE } = methodNotAllowed("POST");
