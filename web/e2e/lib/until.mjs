// until polls fn every 100 ms until it returns something truthy (which it
// returns) or timeout ms pass (then it throws, with the last result or
// error, so that a failure says what it last saw).
export async function until(what, fn, timeout = 10_000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
