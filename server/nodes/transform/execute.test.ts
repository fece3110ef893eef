import { describe, expect, it } from "vitest";
import { ExpressionError } from "../../expressions/expression-syntax";
import { PermanentError } from "@/server/outbound/execution-errors";
import { transformExecutor } from "./execute";
import { executionContext } from "../testing/execution-context";
import { transformNode } from "./definition";

function run(fields: string) {
  return transformExecutor.execute(executionContext(transformNode, { fields }, { steps: { earlier: { factor: 2 } }, nodeId: "t" }));
}

describe("action:transform", () => {
  it("outputs the object the expression builds from the event and earlier steps", async () => {
    expect(await run('{"title": $uppercase(event.data.name), "double": event.data.price * steps.earlier.factor}')).toEqual({
      output: { title: "MERINO WOOL SWEATER", double: 179.9 },
    });
  });

  it("outputs an empty object for an empty expression or no result", async () => {
    expect(await run("")).toEqual({ output: {} });
    expect(await run("event.data.missing")).toEqual({ output: {} });
  });

  it("refuses results that are not objects, permanently", async () => {
    await expect(run("[1, 2]")).rejects.toThrow(PermanentError);
    await expect(run("event.data.sku")).rejects.toThrow("Fields: the expression must give an object");
  });

  it("lets expression errors through for the runner to name the field", async () => {
    await expect(run("$notAFunction(1)")).rejects.toThrow(ExpressionError);
  });
});
