import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { openApiDocument } from "@/server/http-api/openapi";
import { anonymousRoute } from "@/server/http-api/api-route";

export const dynamic = "force-dynamic";

/** Open: the API's description holds nothing secret, and clients read it before they have a key. */
export const GET = anonymousRoute(async () => Response.json(openApiDocument()));
export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
