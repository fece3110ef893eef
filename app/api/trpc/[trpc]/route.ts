import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/api/root";
import { createTRPCContext } from "@/server/api/trpc";
import { anonymousRoute } from "@/server/http-api/api-route";
import { ApiError, errorResponse } from "@/server/http-api/api-response";
import { readBodyBounded } from "@/server/http-api/bounded-body";

export const dynamic = "force-dynamic";

/** A flow document of a few hundred nodes is well under this; anything larger is refused with 413. */
export const TRPC_MAX_BODY_BYTES = 5_000_000;
/** Calls per batched request (the browser's batch link sends at most this many). */
export const TRPC_MAX_BATCH_SIZE = 20;

// Open at the HTTP layer on purpose: every procedure checks the session and its role itself
// (server/api/trpc.ts), and this route applies the closed-surface checks and the size limits.
const handler = anonymousRoute<{ trpc: string }>(async (req) => {
  let request = req;
  if (req.method === "POST") {
    try {
      const body = await readBodyBounded(req, TRPC_MAX_BODY_BYTES);
      request = new Request(req.url, { method: "POST", headers: req.headers, body });
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error.status, error.message);
      throw error;
    }
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    maxBatchSize: TRPC_MAX_BATCH_SIZE,
    createContext: () => createTRPCContext({ headers: request.headers }),
    // INTERNAL_SERVER_ERROR details are logged with a correlation id by the error formatter (server/api/trpc.ts).
  });
});

export { handler as GET, handler as POST };
