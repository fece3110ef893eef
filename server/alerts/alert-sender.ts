import "server-only";
import type { PrismaClient } from "@/server/db/generated/client";
import { deliverDueAlerts, type DeliveryOptions } from "./alert-delivery";
import { scanForAlerts } from "./alert-scan";

// The worker's alert loop: on its own timer, apart from every partition, scan for new dead
// letters and outages, then send what is due. A slow or failing alert URL delays only the next
// alert, never a run. In serverless mode the drain calls `runAlertsOnce` instead.

export interface AlertSenderOptions extends DeliveryOptions {
  db: PrismaClient;
  workerId: string;
  publicUrl?: string;
  /** Default 2 s. */
  intervalMs?: number;
  log?: (message: string, extra?: unknown) => void;
}

/** One scan and one round of deliveries. */
export async function runAlertsOnce(options: AlertSenderOptions): Promise<void> {
  await scanForAlerts(options.db, { publicUrl: options.publicUrl });
  await deliverDueAlerts(options.db, options.workerId, options);
}

export class AlertSender {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(private readonly options: AlertSenderOptions) {}

  start() {
    this.schedule();
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = runAlertsOnce(this.options)
        .catch((error) => (this.options.log ?? console.error)("alerts: scan or delivery failed; trying again", error))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.options.intervalMs ?? 2_000);
    this.timer.unref?.();
  }

  async stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
