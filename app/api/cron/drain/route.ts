import { errorResponse, jsonResponse } from "@/server/http-api/api-response";
import { anonymousRoute } from "@/server/http-api/api-route";
import { env } from "@/server/env";
import { authorizeCron, cronDrain } from "@/server/runtime/serverless-drain";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";
import { drainReportSchema } from "@/server/http-api/drain-report";

export const dynamic = "force-dynamic";
// Vercel ends the function here; SYNCLINE_CRON_DRAIN_BUDGET_MS (default 240 s) stays below it.
export const maxDuration = 300;

/**
 * Runs what nothing else will in serverless mode: schedule-trigger ticks that are due, held events
 * whose retry or delay is due, and partitions with lag. Vercel Cron calls it with `Authorization: Bearer $CRON_SECRET`: open to
 * sessions and API keys alike, it checks that secret itself.
 */
export const GET = anonymousRoute(async (request) => {
  const auth = authorizeCron(request.headers.get("authorization"), env().CRON_SECRET);
  if (auth === "unconfigured") {
    return errorResponse(503, "The drain route is disabled: set CRON_SECRET (at least 16 characters) to enable it.");
  }
  if (auth === "denied") {
    return errorResponse(401, "Send the drain secret as `Authorization: Bearer <CRON_SECRET>`.", undefined, { "WWW-Authenticate": "Bearer" });
  }
  try {
    return jsonResponse(drainReportSchema.parse(await cronDrain()));
  } catch (error) {
    console.error("[drain] cron:", error);
    return errorResponse(503, `The drain could not run: ${(error as Error).message}`, undefined, { "Retry-After": "60" });
  }
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
