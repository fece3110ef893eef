-- CreateIndex
CREATE INDEX "Run_flowId_status_startedAt_idx" ON "Run"("flowId", "status", "startedAt" DESC);
