import * as z from "zod";
import { describe, expect, it } from "vitest";
import { httpRequestNode } from "../nodes/http-request/definition";
import { userIssues, userMessage } from "./user-words";

const messages = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? [] : userIssues(result.error, schema).map((i) => i.message);
};

describe("messages in the user's words", () => {
  it("names the field by its label, not its key", () => {
    expect(messages(httpRequestNode.config, { timeoutMs: 5 })).toEqual(["Timeout (ms) must be at least 100"]);
    expect(messages(httpRequestNode.config, { timeoutMs: 100_000 })).toEqual(["Timeout (ms) must be at most 60000"]);
    expect(messages(httpRequestNode.config, { timeoutMs: 150.5 })).toEqual(["Timeout (ms) must be a whole number"]);
    expect(messages(httpRequestNode.config, { method: "FETCH" })).toEqual(['Method must be one of "GET", "POST", "PUT", "PATCH", "DELETE"']);
  });

  it("keeps a message the schema's author wrote, after the label", () => {
    expect(messages(httpRequestNode.config, { url: "ftp://x" })).toEqual(["URL: enter a full http:// or https:// URL"]);
    expect(messages(httpRequestNode.config, { headers: { "bad name": "x" } })).toEqual(['Headers "bad name": "bad name" is not a valid header name']);
    expect(messages(httpRequestNode.config, { headers: { "X-Shop": "x".repeat(8_001) } })).toEqual(['Headers "X-Shop" must be at most 8000 characters']);
  });

  it("words a field without a label from its key, and a missing one as required", () => {
    const schema = z.object({ credentialId: z.string().min(1), tags: z.array(z.object({ name: z.string().max(3).meta({ title: "Tag name" }) })).meta({ title: "Tags" }) });
    expect(messages(schema, { credentialId: "", tags: [{ name: "ok" }, { name: "toolong" }] })).toEqual([
      "Credential ID cannot be empty",
      "Tags 2 › Tag name must be at most 3 characters",
    ]);
    expect(messages(schema, { tags: [] })).toEqual(["Credential ID is required"]);
  });

  it("without a schema, labels by key (what tRPC forms get)", () => {
    const result = z.object({ email: z.email() }).safeParse({ email: "nope" });
    expect(result.success).toBe(false);
    if (!result.success) expect(userMessage(result.error.issues[0]!)).toBe("Email must be an email address");
  });
});
