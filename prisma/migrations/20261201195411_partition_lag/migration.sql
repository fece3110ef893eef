-- AlterTable
ALTER TABLE "Partition" ADD COLUMN     "cursorMovedAt" TIMESTAMP(3),
ADD COLUMN     "lag" BIGINT NOT NULL DEFAULT 0;
