import "server-only";
import { evaluateCondition } from "../../expressions/evaluate-condition";
import { defineExecutor } from "../define-executor";
import { conditionNode } from "./definition";

export const conditionExecutor = defineExecutor(conditionNode, async ({ config, event, steps }) => {
  const result = await evaluateCondition(config.expression, { event, steps });
  return { output: { result }, branch: result ? "true" : "false" };
});
