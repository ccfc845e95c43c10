/**
 * Polls `check` until it returns a value other than `undefined`, and returns that value. `ms`
 * bounds the wait as a failure guard (the error names `what`), never as an assertion on time; a
 * `check` that throws ends the wait with its error.
 */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  ms = 30_000,
  intervalMs = 25,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
