import "server-only";
import { passEventThroughFilter } from "../condition/execute";
import { defineExecutor } from "../define-executor";
import { productDeletedTrigger } from "./definition";

export const productDeletedExecutor = defineExecutor(productDeletedTrigger, passEventThroughFilter);
