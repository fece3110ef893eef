-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "publishedAt" TIMESTAMP(3);
