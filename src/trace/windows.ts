// Pure planning of message-trace query windows. Graph filters receivedDateTime with `ge start and le end` at
// whole-second resolution, a range may span at most 10 days, start at most 90 days ago and end no later than
// now. Windows here are closed intervals of whole seconds: [start, end] with both ends included in the query,
// and the next window starts one second after the previous end, so a row on a boundary second is read by
// exactly one window.

export const SECOND_MS = 1000;
export const DAY_MS = 86_400_000;
export const MAX_WINDOW_MS = 10 * DAY_MS;
export const HORIZON_MS = 90 * DAY_MS;

/** A closed interval of whole seconds, epoch milliseconds: query `ge start and le end`. */
export interface TimeWindow {
  start: number;
  end: number;
}

export type WindowErrorCode = 'invalid' | 'inverted' | 'beyond_horizon' | 'future';

export class WindowError extends Error {
  override readonly name = 'WindowError';
  readonly code: WindowErrorCode;
  constructor(code: WindowErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface PlanOptions {
  from: Date | number;
  until: Date | number;
  now: Date | number;
  /** Longest span a window may cover, counting its last second: a 10-day window ends 10 days − 1 s after it starts. */
  maxWindowMs?: number;
  /** How far back Graph keeps traces. */
  horizonMs?: number;
  order?: 'oldest-first' | 'newest-first';
  /** 'error' (default) refuses a `from` older than the horizon; 'clip' starts at the horizon instead. */
  beyondHorizon?: 'error' | 'clip';
}

/**
 * Splits [from, until] into contiguous, non-overlapping windows of at most maxWindowMs. `from` is rounded down
 * and `until` down to the whole second (both bounds are inclusive); `until` after `now` is clipped to `now`.
 */
export function planWindows(options: PlanOptions): TimeWindow[] {
  const maxWindowMs = options.maxWindowMs ?? MAX_WINDOW_MS;
  const horizonMs = options.horizonMs ?? HORIZON_MS;
  if (!Number.isFinite(maxWindowMs) || maxWindowMs < SECOND_MS) {
    throw new WindowError('invalid', `maxWindowMs must be at least ${SECOND_MS} ms, got ${maxWindowMs}`);
  }
  const from = toMs(options.from, 'from');
  const until = toMs(options.until, 'until');
  const now = toMs(options.now, 'now');
  const earliest = ceilSecond(now - horizonMs);
  const latest = floorSecond(now);

  if (from > until) {
    throw new WindowError(
      'inverted',
      `impossible time range: from ${formatGraphTime(from)} is after until ${formatGraphTime(until)}`,
    );
  }
  if (floorSecond(from) > latest) {
    throw new WindowError(
      'future',
      `impossible time range: from ${formatGraphTime(from)} is in the future (now is ${formatGraphTime(latest)})`,
    );
  }
  let start = floorSecond(from);
  if (from >= now - horizonMs) {
    // Rounding down to the second must not push a start that was inside the horizon outside it.
    start = Math.max(start, earliest);
  } else {
    if (options.beyondHorizon !== 'clip') {
      throw new WindowError(
        'beyond_horizon',
        `from ${formatGraphTime(from)} is older than message trace keeps: Graph serves at most the last ` +
          `${formatDays(horizonMs)} (earliest allowed start now: ${formatGraphTime(earliest)})`,
      );
    }
    start = earliest;
  }
  const end = Math.min(floorSecond(until), latest);
  if (end < start) return [];

  // Whole seconds per window: a window of N seconds spans start .. start + (N − 1) s.
  const stepMs = Math.max(SECOND_MS, floorSecond(maxWindowMs));
  const windows: TimeWindow[] = [];
  for (let s = start; s <= end; s += stepMs) {
    windows.push({ start: s, end: Math.min(s + stepMs - SECOND_MS, end) });
  }
  return options.order === 'newest-first' ? windows.reverse() : windows;
}

/**
 * Halves a window (when it has too many pages, or Graph handed back a broken skiptoken) into two contiguous,
 * non-overlapping windows of whole seconds. A window of a single second cannot be split: null.
 */
export function splitWindow(window: TimeWindow): [TimeWindow, TimeWindow] | null {
  assertWindow(window);
  const seconds = (window.end - window.start) / SECOND_MS + 1;
  if (seconds < 2) return null;
  const firstEnd = window.start + (Math.floor(seconds / 2) - 1) * SECOND_MS;
  return [
    { start: window.start, end: firstEnd },
    { start: firstEnd + SECOND_MS, end: window.end },
  ];
}

/** The timestamp form Graph's message-trace $filter accepts: YYYY-MM-DDThh:mm:ssZ (sub-seconds dropped). */
export function formatGraphTime(date: Date | number): string {
  const ms = typeof date === 'number' ? date : date.getTime();
  if (!Number.isFinite(ms)) throw new WindowError('invalid', 'cannot format an invalid date');
  return new Date(floorSecond(ms)).toISOString().slice(0, 19) + 'Z';
}

/** The `$filter` clause for one window. */
export function windowFilter(window: TimeWindow): string {
  return `receivedDateTime ge ${formatGraphTime(window.start)} and receivedDateTime le ${formatGraphTime(window.end)}`;
}

function assertWindow(w: TimeWindow): void {
  if (
    !Number.isInteger(w.start) ||
    !Number.isInteger(w.end) ||
    w.start % SECOND_MS !== 0 ||
    w.end % SECOND_MS !== 0 ||
    w.end < w.start
  ) {
    throw new WindowError('invalid', `not a window of whole seconds: ${JSON.stringify(w)}`);
  }
}

function toMs(value: Date | number, name: string): number {
  const ms = typeof value === 'number' ? value : value.getTime();
  if (!Number.isFinite(ms)) throw new WindowError('invalid', `${name} is not a valid date`);
  return ms;
}

function floorSecond(ms: number): number {
  return Math.floor(ms / SECOND_MS) * SECOND_MS;
}

function ceilSecond(ms: number): number {
  return Math.ceil(ms / SECOND_MS) * SECOND_MS;
}

function formatDays(ms: number): string {
  const days = ms / DAY_MS;
  return Number.isInteger(days) ? `${days} days` : `${ms} ms`;
}
