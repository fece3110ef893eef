import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { createAssetRoute } from "@/server/assets/asset-route";
import { env } from "@/server/env";
import { sharedNats } from "@/server/nats/connection";
import { anonymousRoute } from "@/server/http-api/api-route";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const serveAsset = createAssetRoute({ nats: sharedNats, prefix: () => env().SYNCLINE_PREFIX });

/**
 * Resized product images from the NATS object store (see server/assets/asset-route.ts). Open on
 * purpose: marketplaces fetch product images by URL without credentials; keys are unguessable.
 */
export const GET = anonymousRoute<{ key: string[] }>((request, { params }) => serveAsset(request, { params: Promise.resolve(params) }));
export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
