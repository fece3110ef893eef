import { health } from "@/server/http-api/health";
import { anonymousRoute, refusalFor } from "@/server/http-api/api-route";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/**
 * Open for load balancers and uptime checks, which only learn whether it is up. The details
 * (hostnames, pids, worker ids, lag) are for signed-in users and API keys with read scope.
 */
export const GET = anonymousRoute(async (_request, { caller }) => {
  const report = await health();
  const status = report.status === "ok" ? 200 : 503;
  const detailed = caller !== null && refusalFor(caller, { role: "viewer", scope: "read" }) === null;
  return Response.json(detailed ? report : { status: report.status }, { status, headers: { "Cache-Control": "no-store" } });
});

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
