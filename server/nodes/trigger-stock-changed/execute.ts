import "server-only";
import { passEventThroughFilter } from "../condition/execute";
import { defineExecutor } from "../define-executor";
import { stockChangedTrigger } from "./definition";

export const stockChangedExecutor = defineExecutor(stockChangedTrigger, passEventThroughFilter);
