import "server-only";
import { createCallerFactory, createTRPCRouter } from "@/server/api/trpc";
import { flowsRouter } from "@/server/api/routers/flows";
import { apiKeysRouter } from "@/server/api/routers/api-keys";
import { runsRouter } from "@/server/api/routers/runs";
import { deadLettersRouter } from "@/server/api/routers/dead-letters";
import { eventTypesRouter } from "@/server/api/routers/event-types";
import { credentialsRouter } from "@/server/api/routers/credentials";
import { channelsRouter } from "@/server/api/routers/channels";
import { sourcesRouter } from "@/server/api/routers/sources";
import { monitoringRouter } from "@/server/api/routers/monitoring";
import { usersRouter } from "@/server/api/routers/users";
import { auditRouter } from "@/server/api/routers/audit";
import { alertsRouter } from "@/server/api/routers/alerts";

export const appRouter = createTRPCRouter({
  flows: flowsRouter,
  apiKeys: apiKeysRouter,
  runs: runsRouter,
  deadLetters: deadLettersRouter,
  eventTypes: eventTypesRouter,
  credentials: credentialsRouter,
  channels: channelsRouter,
  sources: sourcesRouter,
  monitoring: monitoringRouter,
  users: usersRouter,
  audit: auditRouter,
  alerts: alertsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
