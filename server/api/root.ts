import "server-only";
import { createCallerFactory, createTRPCRouter } from "@/server/api/trpc";
import { flowsRouter } from "@/server/api/routers/flows";
import { apiKeysRouter } from "@/server/api/routers/api-keys";

export const appRouter = createTRPCRouter({
  flows: flowsRouter,
  apiKeys: apiKeysRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
