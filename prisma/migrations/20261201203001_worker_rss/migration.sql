-- AlterTable
ALTER TABLE "Worker" ADD COLUMN     "rssBytes" BIGINT;
