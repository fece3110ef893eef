import "server-only";
import { passEventThroughFilter } from "../trigger-filter";
import { defineExecutor } from "../define-executor";
import { customEventTrigger } from "./definition";

export const customEventExecutor = defineExecutor(customEventTrigger, passEventThroughFilter);
