// When to try a failed model request again, and how long to wait first: exponential backoff
// with jitter, or what the server asked for in Retry-After.

/** Statuses worth another try: timeouts, conflicts, rate limits and server errors (as OpenAI's SDKs do). */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Most a server may make us wait through Retry-After before we use our own backoff. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Milliseconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date), when usable. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms <= MAX_RETRY_AFTER_MS ? ms : undefined;
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  const wait = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  return Number.isFinite(wait) && wait >= 0 && wait <= MAX_RETRY_AFTER_MS ? wait : undefined;
}

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  maxMs: number;
  random?: () => number;
}

/** Delay before retry number `retry` (0 for the first): base · 2^retry, capped, times a jitter in [0.5, 1). */
export function backoffMs(retry: number, o: BackoffOptions): number {
  const cap = Math.min(o.maxMs, o.baseMs * 2 ** retry);
  return cap * (0.5 + 0.5 * (o.random ?? Math.random)());
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
