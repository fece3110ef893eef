-- AlterTable
ALTER TABLE "Partition" ADD COLUMN     "runningDeaths" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "runningSequence" BIGINT;
