import { openApiDocument } from "@/server/http-api/openapi";

export const dynamic = "force-static";

export function GET() {
  return Response.json(openApiDocument());
}
