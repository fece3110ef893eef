import "server-only";
import * as z from "zod";
import { ApiError, zodIssues } from "./api-response";

// Bodies of the automation API's flow lifecycle calls (publish, enable, disable).

export const publishBodySchema = z.strictObject({
  enable: z.boolean().optional().meta({ description: "Also enable the flow once published (default: leave it as it is)" }),
});

export const flowStateResponseSchema = z.object({ id: z.string(), enabled: z.boolean(), publishedVersion: z.number().int().nullable() });

/** An optional small JSON body: empty means `{}`. Throws ApiError 400/413. */
export async function readOptionalBody<S extends z.ZodType>(request: Request, schema: S, maxBytes = 4096): Promise<z.output<S>> {
  const text = await request.text();
  if (new TextEncoder().encode(text).byteLength > maxBytes) throw new ApiError(413, `The body is larger than the limit of ${maxBytes} bytes.`);
  let value: unknown = {};
  if (text.trim() !== "") {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ApiError(400, `The body is not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiError(400, "The body does not match the expected shape.", zodIssues(parsed.error));
  return parsed.data;
}
