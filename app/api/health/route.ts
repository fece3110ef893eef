import { health } from "@/server/http-api/health";
import { methodNotAllowed } from "@/server/http-api/method-not-allowed";

export const dynamic = "force-dynamic";

/** Open for load balancers and uptime checks: it reports reachability, nothing secret. */
export async function GET() {
  const report = await health();
  return Response.json(report, { status: report.status === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}

export const { POST, PUT, PATCH, DELETE } = methodNotAllowed("GET");
