import "server-only";
import { passEventThroughFilter } from "../condition/execute";
import { defineExecutor } from "../define-executor";
import { orderPlacedTrigger } from "./definition";

export const orderPlacedExecutor = defineExecutor(orderPlacedTrigger, passEventThroughFilter);
