import { db } from "@/server/db/client";
import { apiRoute, jsonResponse } from "@/server/http-api/api-response";
import { setFlowEnabled } from "@/server/flows/flow-store";
import { notifyFlowsChanged } from "@/server/runtime/worker-notifier";

export const dynamic = "force-dynamic";

/** Enables the flow; 409 when it has no published version yet. */
export const POST = apiRoute<{ id: string }>(async (_request, { params }) => {
  await setFlowEnabled(db(), params.id, true);
  void notifyFlowsChanged();
  const flow = await db().flow.findUniqueOrThrow({ where: { id: params.id }, select: { id: true, enabled: true, publishedVersion: true } });
  return jsonResponse(flow);
});
