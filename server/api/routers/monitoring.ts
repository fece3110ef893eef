import "server-only";
import { createTRPCRouter } from "@/server/api/trpc";
import { viewerProcedure } from "@/server/api/trpc";
import { env } from "@/server/env";
import { sharedNats } from "@/server/nats/connection";
import { brokerStatus, type BrokerStatus } from "@/server/monitoring/broker-status";
import { runSeries, windowSchema } from "@/server/monitoring/run-series";
import { runtimeStatus } from "@/server/monitoring/runtime-status";

export const monitoringRouter = createTRPCRouter({
  /** Everything the monitoring page shows for one window; the page polls it. */
  dashboard: viewerProcedure.input(windowSchema).query(async ({ ctx, input }) => {
    const layout = { prefix: env().SYNCLINE_PREFIX, partitions: env().SYNCLINE_PARTITIONS };
    const broker: Promise<BrokerStatus> = sharedNats()
      .then((nc) => brokerStatus(nc, layout))
      .catch((error: Error) => ({ ok: false, error: `NATS is unreachable: ${error.message}`, serverVersion: null, stream: null, partitions: [] }));
    const [series, runtime, nats] = await Promise.all([runSeries(ctx.db, input.window), runtimeStatus(ctx.db), broker]);
    return { series, runtime, nats, at: new Date() };
  }),
});
