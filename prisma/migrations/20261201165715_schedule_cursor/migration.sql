-- CreateTable
CREATE TABLE "ScheduleCursor" (
    "flowId" TEXT NOT NULL,
    "lastTickAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ScheduleCursor_pkey" PRIMARY KEY ("flowId")
);
