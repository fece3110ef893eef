import { openApiDocument } from "@/server/http/openapi";
import { anonymousRoute } from "@/server/http/api-route";

export const dynamic = "force-dynamic";

/** Open: the API's description holds nothing secret, and clients read it before they have a key. */
export const GET = anonymousRoute(async () => Response.json(openApiDocument()));
