-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "testDocument" JSONB,
ADD COLUMN     "testMode" TEXT;
