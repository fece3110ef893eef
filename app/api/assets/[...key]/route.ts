import { createAssetRoute } from "@/server/assets/asset-route";
import { env } from "@/server/env";
import { sharedNats } from "@/server/nats/connection";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Resized product images from the NATS object store (see server/assets/asset-route.ts). Public. */
export const GET = createAssetRoute({ nats: sharedNats, prefix: () => env().SYNCLINE_PREFIX });

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
