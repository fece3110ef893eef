import "server-only";
import { evaluateExpression } from "../../expressions/evaluate-expression";
import { defineExecutor } from "../define-executor";
import { PermanentError } from "@/server/outbound/execution-errors";
import { transformNode } from "./definition";

export const transformExecutor = defineExecutor(transformNode, async ({ config, event, steps }) => {
  if (config.fields.trim() === "") return { output: {} };
  const value = await evaluateExpression(config.fields, { event, steps });
  if (value === undefined) return { output: {} };
  // Later steps read steps.<this>.<key>: anything but an object would leave them nothing to read.
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
    throw new PermanentError(`Fields: the expression must give an object such as {"sku": event.data.sku}, it gave ${got}`);
  }
  return { output: value as Record<string, unknown> };
});
