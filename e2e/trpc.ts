import { expect, type APIRequestContext } from "@playwright/test";

// The app's tRPC endpoint, called the way its own client does (batched, superjson envelope), for
// test setup that is not itself under test.

export async function trpcMutation<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const response = await request.post(`/api/trpc/${path}?batch=1`, { data: { 0: { json: input } } });
  expect(response.ok(), `${path} answered ${response.status()}`).toBeTruthy();
  const [result] = (await response.json()) as [{ result: { data: { json: T } } }];
  return result.result.data.json;
}

export async function trpcQuery<T>(request: APIRequestContext, path: string, input?: unknown): Promise<T> {
  const encoded = encodeURIComponent(JSON.stringify({ 0: input === undefined ? {} : { json: input } }));
  const response = await request.get(`/api/trpc/${path}?batch=1&input=${encoded}`);
  expect(response.ok(), `${path} answered ${response.status()}`).toBeTruthy();
  const [result] = (await response.json()) as [{ result: { data: { json: T } } }];
  return result.result.data.json;
}
