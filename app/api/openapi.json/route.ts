import { openApiDocument } from "@/server/http-api/openapi";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-static";

export function GET() {
  return Response.json(openApiDocument());
}

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
