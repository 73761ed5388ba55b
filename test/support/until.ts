// Bounded polling for tests: a condition checked every 25 ms until it holds or the time is up,
// never a fixed sleep (STYLE.md, "tests that hold every day").

/** `check` until it holds or `ms` pass; the error names `what`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
