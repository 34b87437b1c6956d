// Concurrency limiters. Outlook allows 4 concurrent requests per app and mailbox; a fifth is answered 429
// "MailboxConcurrency" and retrying only prolongs the throttling. So the limit is enforced before sending, by one
// keyed limiter shared by everything in the process (direct requests and $batch items alike).
import type { Plugin } from './types.ts';

export interface Limiter {
  /** Waits for a permit for `key` (FIFO per key) and resolves with its release function (safe to call twice). */
  acquire(key: string, signal?: AbortSignal): Promise<() => void>;
  /** Permits currently held for `key`. */
  inFlight(key: string): number;
  /**
   * Takes a permit only if one is free right now and nobody is queued for it, without waiting. $batch uses it to
   * fill a batch with work that can run now instead of waiting on a busy mailbox. Optional for other limiters.
   */
  tryAcquire?(key: string): (() => void) | undefined;
}

interface Waiter {
  grant: () => void;
}

interface KeyState {
  active: number;
  waiters: Waiter[];
}

/** Counting semaphore per key; keys with nothing held or queued are forgotten, so memory follows live keys. */
class KeyedSemaphore implements Limiter {
  readonly #max: number;
  readonly #states = new Map<string, KeyState>();

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`limiter size must be a positive integer: ${max}`);
    this.#max = max;
  }

  inFlight(key: string): number {
    return this.#states.get(key)?.active ?? 0;
  }

  tryAcquire(key: string): (() => void) | undefined {
    const state = this.#state(key);
    if (state.active >= this.#max || state.waiters.length > 0) {
      this.#forgetIfIdle(key, state);
      return undefined;
    }
    state.active++;
    return this.#releaser(key);
  }

  acquire(key: string, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.tryAcquire(key);
    if (now) return Promise.resolve(now);
    const state = this.#state(key);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = state.waiters.indexOf(waiter);
        if (index >= 0) state.waiters.splice(index, 1);
        this.#forgetIfIdle(key, state);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#releaser(key));
        },
      };
      state.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #state(key: string): KeyState {
    let state = this.#states.get(key);
    if (!state) {
      state = { active: 0, waiters: [] };
      this.#states.set(key, state);
    }
    return state;
  }

  #forgetIfIdle(key: string, state: KeyState): void {
    if (state.active === 0 && state.waiters.length === 0) this.#states.delete(key);
  }

  #releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const state = this.#states.get(key);
      if (!state) return;
      const next = state.waiters.shift();
      // Hand the permit straight to the next waiter so a newcomer calling tryAcquire cannot barge in between.
      if (next) next.grant();
      else {
        state.active--;
        this.#forgetIfIdle(key, state);
      }
    };
  }
}

/** Per-mailbox limiter: at most `perMailbox` (default 4, Outlook's limit) permits per key, FIFO per key. */
export function createMailboxLimiter(options: { perMailbox?: number } = {}): Limiter {
  return new KeyedSemaphore(options.perMailbox ?? 4);
}

const GLOBAL_KEY = '';

/** A global cap on requests in flight; the key is ignored. */
export function createConcurrencyLimiter(max: number): Limiter {
  const semaphore = new KeyedSemaphore(max);
  return {
    acquire: (_key, signal) => semaphore.acquire(GLOBAL_KEY, signal),
    inFlight: () => semaphore.inFlight(GLOBAL_KEY),
    tryAcquire: () => semaphore.tryAcquire(GLOBAL_KEY),
  };
}

const MAILBOX_PATH = /^\/(?:v1\.0|beta)?\/?users\/([^/?#]+)\//i;

/**
 * The mailbox a request touches: '/users/{id|upn}/…' (relative, version-prefixed or absolute) gives the decoded,
 * lower-cased id or UPN; anything else (including '/users/{id}' alone, a directory read) gives undefined.
 */
export function mailboxKeyOf(url: string): string | undefined {
  let path = url;
  if (/^https?:\/\//i.test(url)) {
    try {
      path = new URL(url).pathname;
    } catch {
      return undefined;
    }
  }
  if (!path.startsWith('/')) path = `/${path}`;
  const match = MAILBOX_PATH.exec(path);
  const raw = match?.[1];
  if (raw === undefined) return undefined;
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // A malformed escape still identifies the mailbox consistently in its raw form.
  }
  return decoded.toLowerCase();
}

/** Holds a mailbox permit for the whole request (key: request.mailbox, else derived from the URL). */
export function mailboxLimitPlugin(limiter: Limiter): Plugin {
  return (next) => async (request) => {
    const key = request.mailbox?.toLowerCase() ?? mailboxKeyOf(request.url);
    if (key === undefined) return next(request);
    const release = await limiter.acquire(key, request.signal);
    try {
      return await next(request);
    } finally {
      release();
    }
  };
}

/** Holds a global permit for the whole request. */
export function concurrencyPlugin(limiter: Limiter): Plugin {
  return (next) => async (request) => {
    const release = await limiter.acquire(GLOBAL_KEY, request.signal);
    try {
      return await next(request);
    } finally {
      release();
    }
  };
}
