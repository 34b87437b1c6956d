// The tenant-wide message-trace budget: 100 requests per rolling 5 minutes, shared by every app and process of the
// tenant. Exceeding it gets the whole tenant throttled, so requests wait for a free slot before they are sent.
// Lower priorities leave a reserve untouched so that an investigation always finds room next to a collector.
import {
  type Clock,
  MESSAGE_TRACE_QUOTA,
  type Plugin,
  type QuotaClaim,
  type QuotaLedger,
  type QuotaPolicy,
  type QuotaPriority,
} from './types.ts';

/** In-process ledger (the SQLite one in store/ shares the same rules across processes). */
export class InMemoryQuotaLedger implements QuotaLedger {
  readonly #policy: QuotaPolicy;
  /** Use timestamps per tenant and bucket, ascending. */
  readonly #uses = new Map<string, number[]>();

  constructor(policy: QuotaPolicy = MESSAGE_TRACE_QUOTA) {
    this.#policy = policy;
  }

  tryTake(
    tenantId: string,
    bucket: QuotaClaim['bucket'],
    priority: QuotaPriority,
    nowMs: number,
  ): { granted: true } | { granted: false; retryAtMs: number } {
    const uses = this.#window(tenantId, bucket, nowMs);
    const cap = this.#policy.limit - this.#policy.reserve[priority];
    if (uses.length < cap) {
      insertSorted(uses, nowMs);
      return { granted: true };
    }
    // A slot for this priority opens when enough of the oldest uses have left the window.
    const freeingUse = uses[Math.max(0, uses.length - cap)];
    const retryAtMs =
      freeingUse === undefined ? nowMs + this.#policy.windowMs : freeingUse + this.#policy.windowMs;
    return { granted: false, retryAtMs: Math.max(retryAtMs, nowMs + 1) };
  }

  used(tenantId: string, bucket: QuotaClaim['bucket'], nowMs: number): number {
    return this.#window(tenantId, bucket, nowMs).length;
  }

  /** The uses inside the window (nowMs - windowMs, nowMs], dropping older ones for good. */
  #window(tenantId: string, bucket: string, nowMs: number): number[] {
    const key = `${tenantId}\u0000${bucket}`;
    let uses = this.#uses.get(key);
    if (!uses) {
      uses = [];
      this.#uses.set(key, uses);
    }
    const horizon = nowMs - this.#policy.windowMs;
    let expired = 0;
    while (expired < uses.length && (uses[expired] ?? 0) <= horizon) expired++;
    if (expired > 0) uses.splice(0, expired);
    return uses;
  }
}

function insertSorted(values: number[], value: number): void {
  let index = values.length;
  while (index > 0 && (values[index - 1] ?? 0) > value) index--;
  values.splice(index, 0, value);
}

const MESSAGE_TRACE_PATH =
  /^(?:https?:\/\/[^/]+)?\/?(?:(?:v1\.0|beta)\/)?admin\/exchange\/tracing(?:[/?(]|$)/i;

/** True for message-trace URLs (relative, version-prefixed or absolute nextLinks). */
export function isMessageTraceUrl(url: string): boolean {
  return MESSAGE_TRACE_PATH.test(url.startsWith('/') ? url.slice(1) : url);
}

export interface QuotaPluginOptions {
  ledger: QuotaLedger;
  tenantId: string;
  clock: Clock;
  /** Bounds one wait to a window: a ledger answering later than that is re-asked rather than trusted blindly. */
  policy?: QuotaPolicy;
}

/**
 * Takes one slot of the tenant budget per request sent (place it inside the retry plugin so every attempt pays,
 * as it does at Graph). Applies to requests with `quota`, and to message-trace URLs at priority 'normal';
 * waits on the clock until the ledger grants a slot; the wait ends early when the request's signal aborts.
 */
export function quotaPlugin(options: QuotaPluginOptions): Plugin {
  const { ledger, tenantId, clock } = options;
  const maxWaitMs = (options.policy ?? MESSAGE_TRACE_QUOTA).windowMs;
  return (next) => async (request) => {
    const claim: QuotaClaim | undefined =
      request.quota ??
      (isMessageTraceUrl(request.url) ? { bucket: 'messageTrace', priority: 'normal' } : undefined);
    if (!claim) return next(request);
    for (;;) {
      request.signal?.throwIfAborted();
      const nowMs = clock.now();
      const answer = ledger.tryTake(tenantId, claim.bucket, claim.priority, nowMs);
      if (answer.granted) break;
      await clock.sleep(Math.min(maxWaitMs, Math.max(1, answer.retryAtMs - nowMs)), request.signal);
    }
    return next(request);
  };
}
