// Pure retry arithmetic shared by the retry plugin and the $batch item retrier: how long to wait, and for how long
// waiting is still reasonable. No I/O, no clock: callers pass `nowMs` and a random source.

export interface RetryPolicy {
  /** Total tries including the first one. */
  maxAttempts: number;
  /** Backoff base when the service gave no Retry-After. */
  baseDelayMs: number;
  /** Ceiling of the exponential backoff (not of Retry-After). */
  maxBackoffMs: number;
  /** A Retry-After longer than this fails the request instead of waiting: the caller decides what to do. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 6,
  baseDelayMs: 500,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 15 * 60_000,
});

const DELTA_SECONDS = /^\s*(\d+(?:\.\d+)?)\s*$/;

/**
 * Retry-After is either delta-seconds ("120") or an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"). Returns the wait
 * in milliseconds (never negative), or undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const seconds = DELTA_SECONDS.exec(value);
  if (seconds) return Math.round(Number(seconds[1]) * 1000);
  // An HTTP date names a month; anything else ("-5", "soon") is unreadable rather than some odd instant.
  if (!/[a-z]{3}/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * Delay before attempt number `attempt` (1 = first retry): Retry-After exactly when present (waiting less only
 * extends throttling), else full-jitter exponential backoff (AWS "Exponential Backoff and Jitter"), which spreads
 * the retries of many concurrent requests instead of having them all come back at once.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.max(0, retryAfterMs);
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxBackoffMs, policy.baseDelayMs * 2 ** Math.min(exponent, 30));
  return Math.floor(random() * ceiling);
}

/** True when the service asked for a wait longer than the policy accepts. */
export function retryAfterTooLong(retryAfterMs: number | undefined, policy: RetryPolicy): boolean {
  return retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs;
}
