-- DropIndex
DROP INDEX "Run_eventId_idx";
