-- CreateTable
CREATE TABLE "EventType" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "jsonSchema" JSONB NOT NULL,
    "example" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EventType_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "flowVersion" INTEGER NOT NULL,
    "eventId" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "orderingKey" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "traceId" TEXT NOT NULL,
    "sequence" BIGINT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),
    "error" TEXT,
    "steps" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProcessedEvent" (
    "eventId" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "processedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProcessedEvent_pkey" PRIMARY KEY ("eventId","flowId")
);

-- CreateTable
CREATE TABLE "DeadLetter" (
    "id" TEXT NOT NULL,
    "flowId" TEXT NOT NULL,
    "flowVersion" INTEGER NOT NULL,
    "nodeId" TEXT,
    "orderingKey" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "attempts" JSONB NOT NULL DEFAULT '[]',
    "error" TEXT NOT NULL,
    "traceId" TEXT NOT NULL,
    "runId" TEXT,
    "sequence" BIGINT NOT NULL,
    "partition" INTEGER NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DeadLetter_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HeldEvent" (
    "id" BIGSERIAL NOT NULL,
    "partition" INTEGER NOT NULL,
    "flowId" TEXT NOT NULL,
    "flowVersion" INTEGER NOT NULL,
    "orderingKey" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "headers" JSONB NOT NULL DEFAULT '{}',
    "sequence" BIGINT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "errors" JSONB NOT NULL DEFAULT '[]',
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "firstFailedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HeldEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Partition" (
    "partition" INTEGER NOT NULL,
    "owner" TEXT,
    "leaseUntil" TIMESTAMP(3),
    "epoch" INTEGER NOT NULL DEFAULT 0,
    "cursor" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Partition_pkey" PRIMARY KEY ("partition")
);

-- CreateTable
CREATE TABLE "Worker" (
    "id" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,
    "partitions" INTEGER[],
    "lag" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "Worker_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EventType_type_key" ON "EventType"("type");

-- CreateIndex
CREATE INDEX "Run_flowId_startedAt_idx" ON "Run"("flowId", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "Run_orderingKey_startedAt_idx" ON "Run"("orderingKey", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "Run_status_startedAt_idx" ON "Run"("status", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "Run_startedAt_id_idx" ON "Run"("startedAt" DESC, "id");

-- CreateIndex
CREATE INDEX "Run_eventId_idx" ON "Run"("eventId");

-- CreateIndex
CREATE INDEX "ProcessedEvent_processedAt_idx" ON "ProcessedEvent"("processedAt");

-- CreateIndex
CREATE INDEX "DeadLetter_flowId_orderingKey_status_idx" ON "DeadLetter"("flowId", "orderingKey", "status");

-- CreateIndex
CREATE INDEX "DeadLetter_status_createdAt_idx" ON "DeadLetter"("status", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "DeadLetter_partition_status_idx" ON "DeadLetter"("partition", "status");

-- CreateIndex
CREATE INDEX "HeldEvent_partition_flowId_orderingKey_id_idx" ON "HeldEvent"("partition", "flowId", "orderingKey", "id");

-- CreateIndex
CREATE INDEX "HeldEvent_partition_nextAttemptAt_idx" ON "HeldEvent"("partition", "nextAttemptAt");
