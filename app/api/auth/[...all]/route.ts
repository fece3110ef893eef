import { toNextJsHandler } from "better-auth/next-js";
import { authFor } from "@/server/auth/auth";
import { db } from "@/server/db/client";
import { anonymousRoute } from "@/server/http-api/api-route";

export const dynamic = "force-dynamic";

// Better Auth's endpoints (sign-in, sign-out, session). Open by nature; the rate limits, the
// per-account lock-out and the closed-surface checks apply (server/auth/auth.ts).
const handlers = () => toNextJsHandler(authFor(db()));

export const GET = anonymousRoute<{ all: string[] }>((request) => handlers().GET(request));
export const POST = anonymousRoute<{ all: string[] }>((request) => handlers().POST(request));
