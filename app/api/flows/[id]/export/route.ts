import { db } from "@/server/db/client";
import { apiRoute, jsonResponse } from "@/server/http-api/api-response";
import { exportFlow } from "@/server/flows/flow-store";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

export const GET = apiRoute<{ id: string }>(async (_request, { params }) => {
  const document = await exportFlow(db(), params.id);
  return jsonResponse(document);
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
