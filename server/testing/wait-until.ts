/**
 * Polls `check` until it holds; fails with `what` (and `detail()`, if given) after `timeoutMs`.
 * The interval only paces the polling of an observable condition (a row, a receiver's calls):
 * nothing waits for time itself.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, detail?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const extra = detail ? `\n${JSON.stringify(await detail(), null, 1)}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${extra}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
