import "server-only";
import { passEventThroughFilter } from "../condition/execute";
import { defineExecutor } from "../define-executor";
import { priceChangedTrigger } from "./definition";

export const priceChangedExecutor = defineExecutor(priceChangedTrigger, passEventThroughFilter);
