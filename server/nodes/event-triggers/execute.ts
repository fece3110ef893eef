import "server-only";
import { defineExecutor } from "../define-executor";
import { passEventThroughFilter } from "../trigger-filter";
import { eventTriggers } from "./definition";

export const eventTriggerExecutors = eventTriggers.map((definition) => defineExecutor(definition, passEventThroughFilter));
