-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "businessKeys" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "deliveryCount" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "errors" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "event" JSONB,
ADD COLUMN     "headers" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "partition" INTEGER,
ADD COLUMN     "stream" TEXT,
ADD COLUMN     "test" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "worker" TEXT;

-- CreateIndex
CREATE INDEX "Run_eventType_startedAt_idx" ON "Run"("eventType", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "Run_businessKeys_idx" ON "Run" USING GIN ("businessKeys");
