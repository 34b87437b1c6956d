// Pure planning of the collector's passes over time, from its checkpoint state. No I/O, no clock: `now` is given.
//   fast pass:      new time, oldest first, from just after `fastUntil` up to now − delay;
//   backfill:       older time asked for with --since, newest first, down from just before `coveredFrom`;
//   reconciliation: the trailing window (default 48 h) up to `fastUntil`, plus short windows around older rows
//                   whose status was still transient, to catch late rows and status changes.

import { DAY_MS, HORIZON_MS, MAX_WINDOW_MS, planWindows, SECOND_MS, type TimeWindow } from './windows.ts';

/** What the collector has durably delivered for one tenant (the 'collector' checkpoint). */
export interface CollectorState {
  version: 1;
  /** Start of the oldest window delivered (epoch ms), or null before the first one. */
  coveredFrom: number | null;
  /** End (inclusive, whole second) of the newest fast-pass window delivered, or null before the first one. */
  fastUntil: number | null;
  /** When the last complete reconciliation pass started, or null. */
  lastReconcileAt: number | null;
  /** Time the collector can no longer read (it was stopped past the horizon), oldest first; absent when none. */
  gaps?: CollectionGap[];
}

/** Inclusive whole-second range of receivedDateTime that no pass ever read. */
export interface CollectionGap {
  start: number;
  end: number;
}

/** The gaps a state keeps: enough for `status` to show a history of outages, bounded. */
export const MAX_RECORDED_GAPS = 20;

export const EMPTY_STATE: CollectorState = {
  version: 1,
  coveredFrom: null,
  fastUntil: null,
  lastReconcileAt: null,
};

export interface PassSettings {
  /** The fast pass stops this long before now, so that most rows are visible when first read (default 5 min). */
  delayMs: number;
  /** Re-read by every reconciliation pass (default 48 h). */
  trailingMs: number;
  maxWindowMs: number;
  /**
   * Oldest start a window may have, as an age: Graph refuses starts older than 90 days, and a request may wait
   * minutes for quota before it is sent, so planning keeps a margin inside the horizon.
   */
  horizonMs: number;
  /** Transient rows closer than this (in receivedDateTime) share one reconciliation window. */
  transientMergeGapMs: number;
  /** At most this many windows for old transient rows per reconciliation pass (newest first). */
  maxTransientWindows: number;
}

export const DEFAULT_PASS_SETTINGS: PassSettings = {
  delayMs: 5 * 60_000,
  trailingMs: 2 * DAY_MS,
  maxWindowMs: MAX_WINDOW_MS,
  horizonMs: HORIZON_MS - 3_600_000,
  transientMergeGapMs: 10 * 60_000,
  maxTransientWindows: 10,
};

/** The earliest whole second a window may start at `now`. */
export function horizonStart(now: number, settings: PassSettings): number {
  return Math.ceil((now - settings.horizonMs) / SECOND_MS) * SECOND_MS;
}

/**
 * Oldest first, so that `fastUntil` can advance window by window. Before the first run, starts at `initialFrom`
 * (the --since start, or now − trailing window).
 */
export function planFastPass(
  state: CollectorState,
  now: number,
  settings: PassSettings,
  initialFrom: number,
): TimeWindow[] {
  const from = state.fastUntil === null ? initialFrom : state.fastUntil + SECOND_MS;
  return plan(Math.max(from, horizonStart(now, settings)), now - settings.delayMs, now, settings);
}

/**
 * Time between the last fast-pass window delivered and the horizon: after a collector was stopped for longer
 * than ~89 days Graph no longer serves it, so the fast pass resumes at the horizon. Null when nothing is lost.
 */
export function fastPassGap(state: CollectorState, now: number, settings: PassSettings): CollectionGap | null {
  if (state.fastUntil === null) return null;
  const start = state.fastUntil + SECOND_MS;
  const horizon = horizonStart(now, settings);
  return start < horizon ? { start, end: horizon - SECOND_MS } : null;
}

/** The state with one more gap recorded (the oldest forgotten beyond MAX_RECORDED_GAPS). */
export function withGap(state: CollectorState, gap: CollectionGap): CollectorState {
  return { ...state, gaps: [...(state.gaps ?? []), gap].slice(-MAX_RECORDED_GAPS) };
}

/** Newest first, so that `coveredFrom` can move back window by window. Empty unless `since` is older. */
export function planBackfill(
  state: CollectorState,
  since: number | undefined,
  now: number,
  settings: PassSettings,
): TimeWindow[] {
  if (since === undefined || state.coveredFrom === null) return [];
  const from = Math.max(since, horizonStart(now, settings));
  return plan(from, state.coveredFrom - SECOND_MS, now, settings).reverse();
}

export function reconcileStart(state: CollectorState, now: number, settings: PassSettings): number {
  const covered = state.coveredFrom ?? now;
  return Math.max(covered, now - settings.trailingMs, horizonStart(now, settings));
}

/**
 * The trailing window (oldest first) followed by windows around older transient rows. `transientReceivedMs`
 * are the receivedDateTime of stored rows still gettingStatus/pending; those inside the trailing window are
 * read with it anyway, those older than the checkpoint's coverage or the horizon cannot be.
 */
export function planReconcile(
  state: CollectorState,
  now: number,
  settings: PassSettings,
  transientReceivedMs: readonly number[],
): TimeWindow[] {
  if (state.fastUntil === null || state.coveredFrom === null) return [];
  const start = reconcileStart(state, now, settings);
  const trailing = plan(start, state.fastUntil, now, settings);
  const oldest = Math.max(state.coveredFrom, horizonStart(now, settings));
  const seconds = [
    ...new Set(
      transientReceivedMs
        .map((ms) => Math.floor(ms / SECOND_MS) * SECOND_MS)
        .filter((ms) => ms >= oldest && ms < start),
    ),
  ].sort((a, b) => b - a);
  const transient: TimeWindow[] = [];
  for (const second of seconds) {
    const newest = transient[transient.length - 1];
    if (
      newest &&
      newest.start - second <= settings.transientMergeGapMs &&
      newest.end - second < settings.maxWindowMs
    ) {
      newest.start = second;
      continue;
    }
    if (transient.length === settings.maxTransientWindows) break;
    transient.push({ start: second, end: second });
  }
  return [...trailing, ...transient.reverse()];
}

function plan(from: number, until: number, now: number, settings: PassSettings): TimeWindow[] {
  if (until < from) return [];
  return planWindows({
    from,
    until,
    now,
    maxWindowMs: settings.maxWindowMs,
    horizonMs: settings.horizonMs,
    beyondHorizon: 'clip',
  });
}

/** The next state after a fast-pass window was delivered. */
export function afterFastWindow(state: CollectorState, window: TimeWindow): CollectorState {
  return { ...state, fastUntil: window.end, coveredFrom: state.coveredFrom ?? window.start };
}

/** The next state after a backfill window was delivered. */
export function afterBackfillWindow(state: CollectorState, window: TimeWindow): CollectorState {
  return { ...state, coveredFrom: Math.min(state.coveredFrom ?? window.start, window.start) };
}

/** Reads a stored state, tolerating a missing one. */
export function parseState(value: unknown): CollectorState {
  if (value === undefined || value === null) return EMPTY_STATE;
  const v = value as Partial<CollectorState>;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  const gaps = Array.isArray(v.gaps)
    ? v.gaps.flatMap((g: unknown) => {
        const start = num((g as Partial<CollectionGap> | null)?.start);
        const end = num((g as Partial<CollectionGap> | null)?.end);
        return start !== null && end !== null ? [{ start, end }] : [];
      })
    : [];
  return {
    version: 1,
    coveredFrom: num(v.coveredFrom),
    fastUntil: num(v.fastUntil),
    lastReconcileAt: num(v.lastReconcileAt),
    ...(gaps.length > 0 ? { gaps } : {}),
  };
}
