-- AlterTable
ALTER TABLE "HeldEvent" ADD COLUMN     "state" TEXT NOT NULL DEFAULT 'queued';
