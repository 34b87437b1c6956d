// What the collector spends of a tenant's message-trace budget, measured on the collector's clock: requests in
// the last hour, and that rate as a fraction of the budget (100 requests per 5 minutes).

import { MESSAGE_TRACE_QUOTA, type QuotaPolicy } from '../graph/types.ts';

const HOUR_MS = 3_600_000;

export interface QuotaUsage {
  /** Requests sent in the hour before `at`. */
  requestsLastHour: number;
  /** Requests sent in the budget's window (5 min) before `at`. */
  requestsLastWindow: number;
  /** The last hour's average use of the budget: requests per window / limit (0.05 = 5 %). */
  fractionOfBudget: number;
  /** The busiest budget window of the last hour, as a fraction of the limit. */
  peakFractionOfBudget: number;
  at: string;
}

export class RequestLog {
  readonly #policy: QuotaPolicy;
  /** Request instants (epoch ms), ascending, pruned to the last hour. */
  readonly #times: number[] = [];

  constructor(policy: QuotaPolicy = MESSAGE_TRACE_QUOTA) {
    this.#policy = policy;
  }

  record(nowMs: number): void {
    this.#times.push(nowMs);
  }

  usage(nowMs: number): QuotaUsage {
    this.#prune(nowMs);
    const { limit, windowMs } = this.#policy;
    const inWindow = this.#times.filter((t) => t > nowMs - windowMs).length;
    let peak = 0;
    // Sliding the budget window over the hour, anchored at each request, finds the busiest window.
    let tail = 0;
    for (let head = 0; head < this.#times.length; head++) {
      const t = this.#times[head]!;
      while (this.#times[tail]! <= t - windowMs) tail++;
      peak = Math.max(peak, head - tail + 1);
    }
    return {
      requestsLastHour: this.#times.length,
      requestsLastWindow: inWindow,
      fractionOfBudget: (this.#times.length * (windowMs / HOUR_MS)) / limit,
      peakFractionOfBudget: peak / limit,
      at: new Date(nowMs).toISOString(),
    };
  }

  #prune(nowMs: number): void {
    let expired = 0;
    while (expired < this.#times.length && this.#times[expired]! <= nowMs - HOUR_MS) expired++;
    if (expired > 0) this.#times.splice(0, expired);
  }
}
