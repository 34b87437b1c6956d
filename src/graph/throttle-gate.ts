// Graph throttles per app and endpoint (per app and mailbox for Outlook): once one request is answered 429/503
// with Retry-After, every request to the same endpoint is refused until then, and each early one extends the
// throttling. Retrying the throttled request late is not enough when other requests to that endpoint keep going
// out (several $batch POSTs in flight, a paging loop next to a sweep). The gate is shared by the whole client:
// a Retry-After on one request holds every request of its endpoint class until it has passed, then releases the
// waiting ones together.
import { systemClock } from './clock.ts';
import { GraphError } from './errors.ts';
import { mailboxKeyOf } from './limiter.ts';
import { silentLogger } from './logger.ts';
import type { Clock, GraphRequest, Logger, Plugin } from './types.ts';

export interface ThrottleGateOptions {
  clock?: Clock;
  logger?: Logger;
  /**
   * A hold longer than this is not waited out: the request fails at once with a 429 GraphError carrying the
   * remaining wait, as the retry policy would fail the throttled request itself (default: wait whatever it takes).
   */
  maxWaitMs?: number;
}

interface Hold {
  untilMs: number;
  /** One timer per hold, shared by everyone waiting on the key: they are released together. */
  release: Promise<void> | undefined;
  releaseAtMs: number;
}

/** Statuses whose Retry-After throttles the whole endpoint class, not just the request that got it. */
const THROTTLING_STATUSES = new Set([429, 503]);

export class ThrottleGate {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxWaitMs: number;
  readonly #holds = new Map<string, Hold>();
  /** Aborts the shared timers on close(), so a long Retry-After cannot keep the process alive. */
  readonly #closed = new AbortController();

  constructor(options: ThrottleGateOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#maxWaitMs = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
  }

  /** The instant (clock ms) until which `key` is held, or undefined when it is open. */
  heldUntil(key: string): number | undefined {
    const hold = this.#holds.get(key);
    if (!hold) return undefined;
    if (hold.untilMs <= this.#clock.now()) {
      this.#holds.delete(key);
      return undefined;
    }
    return hold.untilMs;
  }

  /** Holds `key` for `ms` from now; a later hold extends an earlier one, a shorter one never shortens it. */
  hold(key: string, ms: number): void {
    const untilMs = this.#clock.now() + Math.max(0, ms);
    const hold = this.#holds.get(key);
    if (hold && hold.untilMs >= untilMs) return;
    if (hold) hold.untilMs = untilMs;
    else this.#holds.set(key, { untilMs, release: undefined, releaseAtMs: 0 });
    this.#logger.debug('graph.throttle.hold', { key, untilMs, holdMs: ms });
  }

  /** Records the hold a failed request asks for: 429/503 with Retry-After. Returns true when it did. */
  observe(key: string, error: unknown): boolean {
    if (!(error instanceof GraphError)) return false;
    if (!THROTTLING_STATUSES.has(error.status) || error.retryAfterMs === undefined) return false;
    this.hold(key, error.retryAfterMs);
    return true;
  }

  /** Resolves once `key` is open (re-checked after every wake-up, since a hold may be extended meanwhile). */
  async wait(key: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      // A closed gate's timers resolve at once: waiting again would spin.
      if (this.#closed.signal.aborted) return;
      const untilMs = this.heldUntil(key);
      if (untilMs === undefined) return;
      const remainingMs = untilMs - this.#clock.now();
      if (remainingMs > this.#maxWaitMs) throw heldTooLong(key, remainingMs);
      this.#logger.debug('graph.throttle.waiting', { key, untilMs, waitMs: remainingMs });
      await abortable(this.#sharedRelease(key, untilMs), signal);
    }
  }

  /** Stops every pending timer; waiters are released and find the gate as it is. */
  close(): void {
    this.#closed.abort();
    this.#holds.clear();
  }

  #sharedRelease(key: string, untilMs: number): Promise<void> {
    const hold = this.#holds.get(key)!;
    if (hold.release === undefined || hold.releaseAtMs !== untilMs) {
      hold.releaseAtMs = untilMs;
      hold.release = this.#clock
        .sleep(Math.max(0, untilMs - this.#clock.now()), this.#closed.signal)
        .catch(() => {});
    }
    return hold.release;
  }
}

/**
 * The endpoint class a request belongs to, as Graph throttles it: 'mailbox:{id|upn}' for Outlook resources of one
 * mailbox, else the path's first segment after the version root ('$batch', 'users', 'groups'), or three for
 * '/admin/...' ('admin/exchange/tracing'), whose services are throttled apart.
 */
export function throttleKeyOf(request: Pick<GraphRequest, 'url' | 'mailbox'>): string {
  const mailbox = request.mailbox?.toLowerCase() ?? mailboxKeyOf(request.url);
  if (mailbox !== undefined) return `mailbox:${mailbox}`;
  const segments = versionlessPath(request.url)
    .split('/')
    .filter((s) => s !== '')
    .map((s) => safeDecode(s.replace(/\(.*$/, '')).toLowerCase());
  if (segments.length === 0) return '/';
  return (segments[0] === 'admin' ? segments.slice(0, 3) : segments.slice(0, 1)).join('/');
}

/** Waits at the gate without sending: placed above the limiters so that a held request holds no permit. */
export function throttleWaitPlugin(gate: ThrottleGate): Plugin {
  return (next) => async (request) => {
    await gate.wait(throttleKeyOf(request), request.signal);
    return next(request);
  };
}

/**
 * Waits at the gate, sends, and holds the endpoint class when the answer asks for it. Placed right above the
 * transport so that a request that queued for a permit while a Retry-After arrived still waits it out.
 */
export function throttleGatePlugin(gate: ThrottleGate): Plugin {
  return (next) => async (request) => {
    const key = throttleKeyOf(request);
    await gate.wait(key, request.signal);
    try {
      return await next(request);
    } catch (error) {
      gate.observe(key, error);
      throw error;
    }
  };
}

function versionlessPath(url: string): string {
  let path = url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('//')) {
    try {
      path = new URL(url, 'https://graph.invalid').pathname;
    } catch {
      return url;
    }
  }
  path = path.replace(/[?#].*$/, '');
  return path.replace(/^\/?(?:v1\.0|beta)(?=\/|$)/i, '');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function heldTooLong(key: string, remainingMs: number): GraphError {
  return new GraphError({
    status: 429,
    code: 'TooManyRequests',
    message: `Not sent: Graph throttled ${key} for another ${Math.ceil(remainingMs / 1000)} s, longer than the retry policy waits`,
    retryAfterMs: remainingMs,
  });
}

function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
