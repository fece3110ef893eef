import "server-only";
import { passEventThroughFilter } from "../condition/execute";
import { defineExecutor } from "../define-executor";
import { productCreatedTrigger } from "./definition";

export const productCreatedExecutor = defineExecutor(productCreatedTrigger, passEventThroughFilter);
