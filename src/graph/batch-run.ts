// The $batch scheduler behind batch(): pulls items, forms batches from work whose mailbox permits are free now,
// keeps `concurrency` batches in flight, retries throttled items after their own Retry-After, and queues results.
import type { BatchItem, BatchOptions, BatchResult } from './batch.ts';
import { takePermits, tryTakePermits } from './batch-permits.ts';
import { type BatchEntry, DependencyTracker, type EntryUnit } from './batch-units.ts';
import { MAX_BATCH_SIZE, parseBatchReply, type WireResponse } from './batch-wire.ts';
import { systemClock } from './clock.ts';
import { GraphError } from './errors.ts';
import type { Limiter } from './limiter.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryAfterTooLong, retryDelayMs } from './retry-policy.ts';
import type { Clock, Send } from './types.ts';

interface DelayedUnit {
  unit: EntryUnit;
  readyAtMs: number;
}

export class BatchRun {
  readonly #send: Send;
  readonly #items: Iterable<BatchItem> | AsyncIterable<BatchItem>;
  readonly #concurrency: number;
  readonly #limiter: Limiter | undefined;
  readonly #clock: Clock;
  readonly #policy: RetryPolicy;
  readonly #random: () => number;
  readonly #onResult: ((result: BatchResult) => void) | undefined;
  readonly #controller = new AbortController();
  readonly #deps: DependencyTracker;
  /** How many items are pulled from the input ahead of dispatch: enough to fill batches around busy mailboxes. */
  readonly #lookahead: number;

  readonly #retryReady = new Set<EntryUnit>();
  #delayed: DelayedUnit[] = [];
  /** A unit whose permits were awaited (someone outside this run held them) and is next to go. */
  #reserved: { unit: EntryUnit; releases: (() => void)[] } | undefined;
  #reserving = false;
  #batchesInFlight = 0;
  /**
   * Mailboxes that answered 429/503 with a Retry-After, until when. Outlook throttles per app and mailbox, so the
   * mailbox's other items wait too: sending them earlier only extends the throttling.
   */
  readonly #mailboxPausedUntil = new Map<string, number>();
  #inputDone = false;
  #failure: { error: unknown } | undefined;
  #finished = false;
  readonly #results: BatchResult[] = [];

  /** Created on demand: most notifications happen while nobody waits. */
  #wake: { promise: Promise<void>; resolve: () => void } | undefined;
  #wakeScheduled = false;

  constructor(send: Send, items: Iterable<BatchItem> | AsyncIterable<BatchItem>, options: BatchOptions) {
    this.#send = send;
    this.#items = items;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.#limiter = options.limiter;
    this.#clock = options.clock ?? systemClock;
    this.#policy = options.policy ?? DEFAULT_RETRY_POLICY;
    this.#random = options.random ?? Math.random;
    this.#onResult = options.onResult;
    this.#lookahead = Math.max(100, this.#concurrency * MAX_BATCH_SIZE * 4);
    this.#deps = new DependencyTracker((entry, error) => this.#settle(entry, { ok: false, error }));
    const outer = options.signal;
    if (outer) {
      if (outer.aborted) this.#controller.abort(outer.reason);
      else outer.addEventListener('abort', () => this.#controller.abort(outer.reason), { once: true });
    }
    this.#controller.signal.addEventListener('abort', () => this.#notify(), { once: true });
    void this.#pump();
    void this.#loop();
  }

  /** The next settled result, or undefined once everything has settled; rejects when the run failed. */
  async next(): Promise<BatchResult | undefined> {
    for (;;) {
      const result = this.#results.shift();
      if (result) return result;
      if (this.#failure) throw this.#failure.error;
      if (this.#finished) return undefined;
      await this.#changed();
    }
  }

  /** The consumer went away: stop sending and let in-flight batches be abandoned. */
  stop(): void {
    if (!this.#controller.signal.aborted) {
      this.#controller.abort(new DOMException('The $batch consumer stopped reading results.', 'AbortError'));
    }
  }

  #notify(): void {
    const current = this.#wake;
    this.#wake = undefined;
    current?.resolve();
  }

  #changed(): Promise<void> {
    this.#wake ??= newSignal();
    return this.#wake.promise;
  }

  /** Wakes the scheduler after the current burst of input, so a fast input fills whole batches first. */
  #notifySoon(): void {
    if (this.#wakeScheduled) return;
    this.#wakeScheduled = true;
    setImmediate(() => {
      this.#wakeScheduled = false;
      this.#notify();
    });
  }

  async #pump(): Promise<void> {
    try {
      // A sync input is pulled without a promise per item: a 100,000-item sweep should cost the scheduler little.
      const items = this.#items;
      if (Symbol.asyncIterator in items) {
        for await (const item of items) {
          if (!this.#accept(item)) break;
          if (this.#poolFull()) await this.#roomInPool();
        }
      } else {
        for (const item of items) {
          if (!this.#accept(item)) break;
          if (this.#poolFull()) await this.#roomInPool();
        }
      }
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#inputDone = true;
      this.#notify();
    }
  }

  #accept(item: BatchItem): boolean {
    if (this.#controller.signal.aborted) return false;
    this.#deps.add(item);
    this.#notifySoon();
    return true;
  }

  #poolFull(): boolean {
    return this.#deps.pooled >= this.#lookahead;
  }

  async #roomInPool(): Promise<void> {
    this.#notify();
    while (this.#poolFull() && !this.#controller.signal.aborted) await this.#changed();
  }

  async #loop(): Promise<void> {
    try {
      for (;;) {
        if (this.#failure) return;
        this.#controller.signal.throwIfAborted();
        this.#promoteDueRetries();
        this.#dispatchWhatFits();
        if (this.#isDone()) break;
        this.#reserveHeadIfStalled();
        await this.#waitForChange();
      }
      this.#finished = true;
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#notify();
    }
  }

  #fail(error: unknown): void {
    this.#failure ??= { error };
    if (!this.#controller.signal.aborted) this.#controller.abort(error);
    this.#notify();
  }

  #isDone(): boolean {
    return (
      this.#inputDone &&
      this.#batchesInFlight === 0 &&
      this.#delayed.length === 0 &&
      this.#retryReady.size === 0 &&
      this.#reserved === undefined &&
      !this.#reserving &&
      this.#deps.pooled === 0
    );
  }

  async #waitForChange(): Promise<void> {
    const wake = this.#changed();
    const nowMs = this.#clock.now();
    let earliest = this.#delayed.reduce((min, d) => Math.min(min, d.readyAtMs), Number.POSITIVE_INFINITY);
    for (const [mailbox, until] of this.#mailboxPausedUntil) {
      if (until <= nowMs) this.#mailboxPausedUntil.delete(mailbox);
      else earliest = Math.min(earliest, until);
    }
    if (earliest === Number.POSITIVE_INFINITY) return wake;
    const timer = new AbortController();
    const sleeping = this.#clock.sleep(Math.max(0, earliest - nowMs), timer.signal).catch(() => {});
    try {
      await Promise.race([wake, sleeping]);
    } finally {
      timer.abort();
    }
  }

  #promoteDueRetries(): void {
    if (this.#delayed.length === 0) return;
    const now = this.#clock.now();
    const due = this.#delayed.filter((d) => d.readyAtMs <= now);
    if (due.length === 0) return;
    this.#delayed = this.#delayed.filter((d) => d.readyAtMs > now);
    for (const d of due) this.#retryReady.add(d.unit);
  }

  #dispatchWhatFits(): void {
    let dispatched = false;
    while (this.#batchesInFlight < this.#concurrency) {
      const chosen = this.#formBatch();
      if (!chosen) break;
      this.#batchesInFlight++;
      dispatched = true;
      void this.#runBatch(chosen.units, chosen.releases);
    }
    // The pool has room again: let the input pump pull more.
    if (dispatched) this.#notify();
  }

  /** Fills one batch with units whose mailbox permits are free right now: retries first, then input order. */
  #formBatch(): { units: EntryUnit[]; releases: (() => void)[] } | undefined {
    const units: EntryUnit[] = [];
    const releases: (() => void)[] = [];
    let size = 0;
    if (this.#reserved) {
      units.push(this.#reserved.unit);
      releases.push(...this.#reserved.releases);
      size += this.#reserved.unit.entries.length;
      this.#reserved = undefined;
    }
    const nowMs = this.#clock.now();
    const consider = (unit: EntryUnit, from: Set<EntryUnit> | 'ready'): boolean => {
      if (size + unit.entries.length > MAX_BATCH_SIZE) return size < MAX_BATCH_SIZE;
      if (this.#isPaused(unit, nowMs)) return true;
      const permits = this.#tryPermits(unit);
      if (!permits) return true;
      if (from === 'ready') this.#deps.take(unit);
      else from.delete(unit);
      units.push(unit);
      releases.push(...permits);
      size += unit.entries.length;
      return size < MAX_BATCH_SIZE;
    };
    for (const unit of [...this.#retryReady]) if (!consider(unit, this.#retryReady)) break;
    if (size < MAX_BATCH_SIZE)
      for (const unit of this.#deps.readyUnits()) if (!consider(unit, 'ready')) break;
    return units.length > 0 ? { units, releases } : undefined;
  }

  #isPaused(unit: EntryUnit, nowMs: number): boolean {
    if (this.#mailboxPausedUntil.size === 0) return false;
    return unit.entries.some(
      (entry) => entry.mailbox !== undefined && (this.#mailboxPausedUntil.get(entry.mailbox) ?? 0) > nowMs,
    );
  }

  #tryPermits(unit: EntryUnit): (() => void)[] | undefined {
    return this.#limiter ? tryTakePermits(this.#limiter, unit) : [];
  }

  /**
   * Nothing in flight, a batch slot free, work waiting, yet no permit free now: someone outside this run holds
   * the mailboxes (or the limiter cannot be asked without waiting). Wait in line for the oldest unit's permits.
   */
  #reserveHeadIfStalled(): void {
    const limiter = this.#limiter;
    if (!limiter || this.#reserving || this.#reserved) return;
    // With tryAcquire, in-flight batches will free permits and wake us; without it, this is the only way in.
    if (limiter.tryAcquire ? this.#batchesInFlight > 0 : this.#batchesInFlight >= this.#concurrency) return;
    const head = this.#retryReady.values().next().value ?? this.#deps.readyUnits().next().value;
    if (!head || this.#isPaused(head, this.#clock.now())) return;
    if (this.#retryReady.has(head)) this.#retryReady.delete(head);
    else this.#deps.take(head);
    this.#reserving = true;
    const signal = this.#controller.signal;
    void (async () => {
      try {
        this.#reserved = { unit: head, releases: await takePermits(limiter, head, signal) };
      } catch (error) {
        this.#fail(error);
      } finally {
        this.#reserving = false;
        this.#notify();
      }
    })();
  }

  async #runBatch(units: EntryUnit[], releases: (() => void)[]): Promise<void> {
    const entries = units.flatMap((unit) => unit.entries);
    let replies: Map<string, WireResponse> | undefined;
    let batchError: GraphError | undefined;
    try {
      for (const entry of entries) entry.attempts++;
      const response = await this.#send<unknown>({
        method: 'POST',
        url: '/$batch',
        body: { requests: units.flatMap((unit) => unit.wireRequests()) },
        signal: this.#controller.signal,
        idempotent: entries.every((entry) => entry.item.method === 'GET'),
      });
      replies = parseBatchReply(response.body);
    } catch (error) {
      if (this.#controller.signal.aborted || !(error instanceof GraphError)) {
        this.#fail(error);
        return;
      }
      // The send chain already retried the POST itself; what is left is final for every item in it.
      batchError = error;
    } finally {
      for (const release of releases) release();
      this.#batchesInFlight--;
      this.#notify();
    }
    for (const unit of units) this.#handleUnitReplies(unit, replies, batchError);
  }

  #handleUnitReplies(
    unit: EntryUnit,
    replies: Map<string, WireResponse> | undefined,
    batchError?: GraphError,
  ) {
    const nowMs = this.#clock.now();
    const retrying = new Set<BatchEntry>();
    let readyAtMs = nowMs;
    for (const entry of unit.entries) {
      if (batchError) {
        this.#settle(entry, { ok: false, error: batchError });
        continue;
      }
      const reply = replies?.get(entry.wireId);
      if (reply && reply.status < 400) {
        this.#settle(entry, { ok: true, reply });
        continue;
      }
      if (reply?.status === 424 && entry.unitDeps.some((dep) => retrying.has(dep))) {
        retrying.add(entry); // its dependency goes again, so it goes again with it
        continue;
      }
      const error = reply
        ? GraphError.fromResponse(reply.status, reply.headers, reply.body, entry.redacted, nowMs)
        : new GraphError({
            status: 0,
            code: 'InvalidResponse',
            message: `The $batch reply had no response for item ${entry.resultId}.`,
            request: entry.redacted,
          });
      const delayMs = this.#retryDelay(entry, reply, error);
      if (delayMs === undefined) {
        this.#settle(entry, { ok: false, error });
        continue;
      }
      retrying.add(entry);
      readyAtMs = Math.max(readyAtMs, nowMs + delayMs);
      if (entry.mailbox !== undefined && error.retryAfterMs !== undefined) {
        const until = nowMs + error.retryAfterMs;
        const paused = this.#mailboxPausedUntil.get(entry.mailbox) ?? 0;
        if (until > paused) this.#mailboxPausedUntil.set(entry.mailbox, until);
      }
    }
    if (retrying.size === 0) return;
    for (const retryUnit of unit.split(retrying)) this.#delayed.push({ unit: retryUnit, readyAtMs });
    this.#notify();
  }

  /** The wait before retrying an item, or undefined when it must not be retried. */
  #retryDelay(entry: BatchEntry, reply: WireResponse | undefined, error: GraphError): number | undefined {
    if (entry.attempts >= this.#policy.maxAttempts) return undefined;
    const status = reply?.status;
    // 429 and 503 mean "not executed"; 504 or no answer at all may have executed, so only repeat what is safe.
    const safeToRepeat = entry.item.method === 'GET' || entry.item.method === 'DELETE';
    const transient =
      status === 429 || status === 503 || ((status === 504 || reply === undefined) && safeToRepeat);
    if (!transient) return undefined;
    // GraphError.fromResponse read the item's own Retry-After (header names compared case-insensitively).
    if (retryAfterTooLong(error.retryAfterMs, this.#policy)) return undefined;
    return retryDelayMs(entry.attempts, error.retryAfterMs, this.#policy, this.#random);
  }

  #settle(
    entry: BatchEntry,
    outcome: { ok: true; reply: WireResponse } | { ok: false; error: GraphError },
  ): void {
    const result: BatchResult = outcome.ok
      ? {
          id: entry.resultId,
          item: entry.item,
          ok: true,
          status: outcome.reply.status,
          headers: outcome.reply.headers,
          body: outcome.reply.body,
        }
      : { id: entry.resultId, item: entry.item, ok: false, error: outcome.error };
    if (this.#controller.signal.aborted) return;
    this.#results.push(result);
    this.#onResult?.(result);
    this.#deps.settled(entry, outcome.ok);
    this.#notify();
  }
}

/** A one-shot wake-up: resolved when anything the scheduler waits on changes (lib ES2023 lacks withResolvers). */
function newSignal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
