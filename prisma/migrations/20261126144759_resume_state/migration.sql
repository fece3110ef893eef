-- AlterTable
ALTER TABLE "DeadLetter" ADD COLUMN     "steps" JSONB NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "HeldEvent" ADD COLUMN     "runId" TEXT NOT NULL,
ADD COLUMN     "steps" JSONB NOT NULL DEFAULT '[]';
