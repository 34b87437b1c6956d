// Microsoft Graph's documented limits, counted on the sim clock: Outlook's per (app, mailbox) concurrency and
// rate, the tenant-wide message-trace quota, and "throttled until" instants so that a client that retries
// before Retry-After has elapsed is caught.

export interface LimitConfig {
  /** Requests in flight per (app, mailbox). */
  mailboxConcurrency: number;
  /** Requests per rolling window per (app, mailbox). */
  mailboxRequestsPerWindow: number;
  mailboxWindowMs: number;
  /** Message-trace requests per rolling window per tenant (all apps). */
  traceRequestsPerWindow: number;
  traceWindowMs: number;
  /** Retry-After sent with a MailboxConcurrency 429. */
  concurrencyRetryAfterSeconds: number;
  /** Items of one $batch executed at once against one mailbox. */
  batchItemConcurrency: number;
}

export const GRAPH_LIMITS: LimitConfig = {
  mailboxConcurrency: 4,
  mailboxRequestsPerWindow: 10_000,
  mailboxWindowMs: 600_000,
  traceRequestsPerWindow: 100,
  traceWindowMs: 300_000,
  concurrencyRetryAfterSeconds: 1,
  batchItemConcurrency: 4,
};

export function resolveLimitConfig(partial: Partial<LimitConfig> | undefined): LimitConfig {
  const config = { ...GRAPH_LIMITS };
  for (const [key, value] of Object.entries(partial ?? {})) {
    if (value === undefined) continue;
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new RangeError(`limit ${key} must be a positive number`);
    }
    config[key as keyof LimitConfig] = value;
  }
  return config;
}

/** A rolling-window request log per key (timestamps in sim ms, oldest first). */
export class RollingWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #hits = new Map<string, number[]>();

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records a hit when there is room; otherwise returns the sim ms at which the oldest hit leaves the window. */
  tryTake(key: string, nowMs: number): { ok: true } | { ok: false; retryAtMs: number } {
    const hits = this.#prune(key, nowMs);
    if (hits.length >= this.#limit) return { ok: false, retryAtMs: hits[0]! + this.#windowMs };
    hits.push(nowMs);
    return { ok: true };
  }

  used(key: string, nowMs: number): number {
    return this.#prune(key, nowMs).length;
  }

  #prune(key: string, nowMs: number): number[] {
    let hits = this.#hits.get(key);
    if (!hits) {
      hits = [];
      this.#hits.set(key, hits);
    }
    const cutoff = nowMs - this.#windowMs;
    let drop = 0;
    while (drop < hits.length && hits[drop]! <= cutoff) drop++;
    if (drop > 0) hits.splice(0, drop);
    return hits;
  }
}

/** In-flight counters per key. */
export class ConcurrencyGauge {
  readonly #inFlight = new Map<string, number>();

  tryEnter(key: string, max: number): number | undefined {
    const current = this.#inFlight.get(key) ?? 0;
    if (current >= max) return undefined;
    this.#inFlight.set(key, current + 1);
    return current + 1;
  }

  leave(key: string): void {
    const current = this.#inFlight.get(key) ?? 0;
    if (current <= 1) this.#inFlight.delete(key);
    else this.#inFlight.set(key, current - 1);
  }

  current(key: string): number {
    return this.#inFlight.get(key) ?? 0;
  }
}

/**
 * When each key may be called again, set by every 429/503 with Retry-After. A request only *ignores* a
 * Retry-After if it arrived after that response was sent: requests already on their way (an earlier arrival
 * number) or items of the same $batch could not have known, so they are not counted.
 */
export class ThrottleLedger {
  readonly #entries = new Map<string, { untilMs: number; sentAfterArrival: number; origins: Set<string> }>();

  /** `sentAfterArrival`: the arrival number of the last request received when the response went out. */
  record(key: string, nowMs: number, untilMs: number, sentAfterArrival: number, origin?: string): void {
    const entry = this.#entries.get(key);
    if (entry && entry.untilMs > nowMs) {
      // Still throttled: extend, but keep the start of the period (whoever arrived since has been told).
      entry.untilMs = Math.max(entry.untilMs, untilMs);
      if (origin !== undefined) entry.origins.add(origin);
      return;
    }
    this.#entries.set(key, {
      untilMs,
      sentAfterArrival,
      origins: new Set(origin === undefined ? [] : [origin]),
    });
  }

  /**
   * Remaining ms of throttling that a request with arrival number `arrival` (and batch `origin`) ignored, or
   * 0 when it may go ahead.
   */
  ignoredMs(key: string, nowMs: number, arrival: number, origin?: string): number {
    const entry = this.#entries.get(key);
    if (!entry) return 0;
    if (entry.untilMs <= nowMs) {
      this.#entries.delete(key);
      return 0;
    }
    if (arrival <= entry.sentAfterArrival) return 0;
    if (origin !== undefined && entry.origins.has(origin)) return 0;
    return entry.untilMs - nowMs;
  }
}

export function secondsUntil(targetMs: number, nowMs: number): number {
  return Math.max(1, Math.ceil((targetMs - nowMs) / 1000));
}
