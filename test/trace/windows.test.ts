import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DAY_MS,
  formatGraphTime,
  planWindows,
  SECOND_MS,
  splitWindow,
  type TimeWindow,
  WindowError,
  windowFilter,
} from '../../src/trace/windows.ts';

const NOW = Date.parse('2026-03-01T12:00:00.250Z');

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Windows are whole seconds, ≤ max span, sorted oldest first, contiguous (next start = end + 1 s). */
function assertTiling(windows: TimeWindow[], start: number, end: number, maxWindowMs: number): void {
  assert.ok(windows.length > 0);
  assert.equal(windows[0]!.start, start);
  assert.equal(windows.at(-1)!.end, end);
  for (const [i, w] of windows.entries()) {
    assert.equal(w.start % SECOND_MS, 0);
    assert.equal(w.end % SECOND_MS, 0);
    assert.ok(w.end >= w.start, `window ${i} is empty`);
    assert.ok(w.end - w.start <= maxWindowMs - SECOND_MS, `window ${i} is longer than ${maxWindowMs} ms`);
    const next = windows[i + 1];
    if (next) assert.equal(next.start, w.end + SECOND_MS, `gap or overlap after window ${i}`);
  }
}

describe('formatGraphTime', () => {
  it('formats whole seconds in UTC with Z and drops sub-seconds', () => {
    assert.equal(formatGraphTime(Date.parse('2026-01-02T03:04:05.999Z')), '2026-01-02T03:04:05Z');
    assert.equal(formatGraphTime(new Date('2026-01-02T03:04:05+02:00')), '2026-01-02T01:04:05Z');
  });
  it('rejects an invalid date', () => {
    assert.throws(() => formatGraphTime(new Date('nope')), WindowError);
  });
  it('builds the ge/le filter of a window', () => {
    const w = { start: Date.parse('2026-01-01T00:00:00Z'), end: Date.parse('2026-01-10T23:59:59Z') };
    assert.equal(
      windowFilter(w),
      'receivedDateTime ge 2026-01-01T00:00:00Z and receivedDateTime le 2026-01-10T23:59:59Z',
    );
  });
});

describe('planWindows', () => {
  it('splits 25 days into 10-day windows whose inclusive ends never share a second', () => {
    const from = Date.parse('2026-02-01T00:00:00Z');
    const until = Date.parse('2026-02-25T23:59:59Z');
    const windows = planWindows({ from, until, now: NOW });
    assert.deepEqual(
      windows.map((w) => [formatGraphTime(w.start), formatGraphTime(w.end)]),
      [
        ['2026-02-01T00:00:00Z', '2026-02-10T23:59:59Z'],
        ['2026-02-11T00:00:00Z', '2026-02-20T23:59:59Z'],
        ['2026-02-21T00:00:00Z', '2026-02-25T23:59:59Z'],
      ],
    );
  });

  it('orders newest first on request, with the same windows', () => {
    const opts = { from: NOW - 30 * DAY_MS, until: NOW, now: NOW };
    const oldest = planWindows(opts);
    const newest = planWindows({ ...opts, order: 'newest-first' });
    assert.deepEqual(newest, [...oldest].reverse());
    assert.ok(newest[0]!.start > newest[1]!.start);
  });

  it('clips until to now (rounded down to the second)', () => {
    const windows = planWindows({ from: NOW - DAY_MS, until: NOW + 5 * DAY_MS, now: NOW });
    assert.equal(windows.at(-1)!.end, Date.parse('2026-03-01T12:00:00Z'));
  });

  it('accepts a single-second range', () => {
    const t = Date.parse('2026-02-20T00:00:00Z');
    assert.deepEqual(planWindows({ from: t, until: t + 999, now: NOW }), [{ start: t, end: t }]);
  });

  it('refuses from after until, naming both', () => {
    assert.throws(
      () => planWindows({ from: NOW - DAY_MS, until: NOW - 2 * DAY_MS, now: NOW }),
      (e: unknown) => e instanceof WindowError && e.code === 'inverted' && /is after until/.test(e.message),
    );
  });

  it('refuses a from older than the horizon and says the limit is 90 days', () => {
    assert.throws(
      () => planWindows({ from: NOW - 91 * DAY_MS, until: NOW, now: NOW }),
      (e: unknown) => e instanceof WindowError && e.code === 'beyond_horizon' && /90 days/.test(e.message),
    );
  });

  it('accepts a from exactly at the horizon, starting at the first whole second inside it', () => {
    const windows = planWindows({ from: NOW - 90 * DAY_MS, until: NOW, now: NOW });
    assert.equal(formatGraphTime(windows[0]!.start), '2025-12-01T12:00:01Z');
    assert.equal(windows.length, 9);
  });

  it('clips to the horizon when asked to', () => {
    const windows = planWindows({ from: NOW - 120 * DAY_MS, until: NOW, now: NOW, beyondHorizon: 'clip' });
    assert.ok(windows[0]!.start >= NOW - 90 * DAY_MS);
    assert.ok(windows[0]!.start - (NOW - 90 * DAY_MS) < SECOND_MS);
    assert.equal(windows.length, 9);
  });

  it('refuses a range entirely in the future', () => {
    assert.throws(
      () => planWindows({ from: NOW + DAY_MS, until: NOW + 2 * DAY_MS, now: NOW }),
      (e: unknown) => e instanceof WindowError && e.code === 'future',
    );
  });

  it('refuses invalid dates and window sizes', () => {
    assert.throws(() => planWindows({ from: new Date('x'), until: NOW, now: NOW }), WindowError);
    assert.throws(
      () => planWindows({ from: NOW - 1000, until: NOW, now: NOW, maxWindowMs: 10 }),
      WindowError,
    );
  });

  it('tiles random ranges exactly: whole seconds, ≤ max span, no gap, no overlap (property)', () => {
    const random = mulberry32(42);
    for (let i = 0; i < 2000; i++) {
      const from = NOW - Math.floor(random() * 90 * DAY_MS);
      const until = from + Math.floor(random() * (NOW - from + 3 * DAY_MS));
      const maxWindowMs = random() < 0.5 ? 10 * DAY_MS : 1000 + Math.floor(random() * 3 * DAY_MS);
      const windows = planWindows({ from, until, now: NOW, maxWindowMs });
      const start = Math.max(Math.floor(from / 1000) * 1000, Math.ceil((NOW - 90 * DAY_MS) / 1000) * 1000);
      const end = Math.min(Math.floor(until / 1000) * 1000, Math.floor(NOW / 1000) * 1000);
      assertTiling(windows, start, end, Math.floor(maxWindowMs / 1000) * 1000);
      // Every second of the range is in exactly one window.
      const seconds = windows.reduce((n, w) => n + (w.end - w.start) / SECOND_MS + 1, 0);
      assert.equal(seconds, (end - start) / SECOND_MS + 1);
    }
  });
});

describe('splitWindow', () => {
  it('halves a window into two contiguous whole-second windows', () => {
    const start = Date.parse('2026-02-01T00:00:00Z');
    const halves = splitWindow({ start, end: start + 9 * SECOND_MS });
    assert.deepEqual(halves, [
      { start, end: start + 4 * SECOND_MS },
      { start: start + 5 * SECOND_MS, end: start + 9 * SECOND_MS },
    ]);
  });

  it('splits a two-second window into two one-second windows', () => {
    assert.deepEqual(splitWindow({ start: 0, end: 1000 }), [
      { start: 0, end: 0 },
      { start: 1000, end: 1000 },
    ]);
  });

  it('cannot split a single second', () => {
    assert.equal(splitWindow({ start: 5000, end: 5000 }), null);
  });

  it('rejects a window that is not whole seconds', () => {
    assert.throws(() => splitWindow({ start: 500, end: 3000 }), WindowError);
    assert.throws(() => splitWindow({ start: 3000, end: 2000 }), WindowError);
  });

  it('keeps splitting down to single seconds without losing or repeating a second (property)', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 200; i++) {
      const start = Math.floor(random() * 1e6) * 1000;
      const w = { start, end: start + Math.floor(random() * 5000) * 1000 };
      let frontier: TimeWindow[] = [w];
      for (let depth = 0; depth < 4; depth++) {
        frontier = frontier.flatMap((x) => splitWindow(x) ?? [x]);
      }
      assertTiling(frontier, w.start, w.end, w.end - w.start + SECOND_MS);
      const halves = splitWindow(w);
      if (halves) {
        const [a, b] = halves;
        const sizeA = a.end - a.start;
        const sizeB = b.end - b.start;
        assert.ok(Math.abs(sizeA - sizeB) <= SECOND_MS, 'halves differ by more than a second');
      }
    }
  });
});
