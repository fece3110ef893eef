import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http/api-response";
import { apiRoute } from "@/server/http/api-route";
import { exportFlow } from "@/server/flows/flow-store";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({ role: "viewer", scope: "read" }, async (_request, { params }) => {
  const document = await exportFlow(db(), params.id);
  return jsonResponse(document);
});
