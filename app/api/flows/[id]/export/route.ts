import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { db } from "@/server/db/client";
import { jsonResponse } from "@/server/http-api/api-response";
import { apiRoute } from "@/server/http-api/api-route";
import { exportFlow } from "@/server/flows/flow-store";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>({ role: "viewer", scope: "read" }, async (_request, { params }) => {
  const document = await exportFlow(db(), params.id);
  return jsonResponse(document);
});
export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
