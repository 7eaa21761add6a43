/** How a promise waited for by untilSettled ended, or why it was not waited for. */
export type Settled<T> = { kind: "finished"; value: T } | { kind: "timeout" } | { kind: "aborted" };

/**
 * `promise`'s value, or why it was not waited for: `timeoutMs` passed (never, when it is undefined), or `signal`
 * aborted (at once, when it already has). Its rejection is thrown. Leaves no timer or abort listener behind.
 */
export async function untilSettled<T>(
  promise: Promise<T>,
  options: { timeoutMs?: number; signal?: AbortSignal },
): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<Settled<T>>((resolve) => {
    if (options.timeoutMs !== undefined)
      timer = setTimeout(() => resolve({ kind: "timeout" }), Math.max(0, options.timeoutMs));
    onAbort = () => resolve({ kind: "aborted" });
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([promise.then((value) => ({ kind: "finished" as const, value })), stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener("abort", onAbort);
  }
}
