/**
 * Waits `ms` of real time for the scripted fakes; answers early with `"aborted"` when the signal fires, and
 * at once (no timer) for 0 ms so unscripted fakes stay fast.
 */
export function abortableWait(ms: number, signal: AbortSignal | undefined): Promise<"elapsed" | "aborted"> {
  if (signal?.aborted) return Promise.resolve("aborted");
  if (ms <= 0) return Promise.resolve("elapsed");
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve("aborted");
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve("elapsed");
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
