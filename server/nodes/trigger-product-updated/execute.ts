import "server-only";
import { passEventThroughFilter } from "../condition/execute";
import { defineExecutor } from "../define-executor";
import { productUpdatedTrigger } from "./definition";

export const productUpdatedExecutor = defineExecutor(productUpdatedTrigger, passEventThroughFilter);
