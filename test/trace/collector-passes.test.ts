import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  afterBackfillWindow,
  afterFastWindow,
  type CollectorState,
  DEFAULT_PASS_SETTINGS,
  EMPTY_STATE,
  fastPassGap,
  MAX_RECORDED_GAPS,
  parseState,
  planBackfill,
  planFastPass,
  planReconcile,
  withGap,
} from '../../src/trace/passes.ts';
import { RequestLog } from '../../src/trace/quota-usage.ts';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const S = DEFAULT_PASS_SETTINGS;

test('the first fast pass covers [initial start, now − delay] oldest first in windows of at most 10 days', () => {
  const windows = planFastPass(EMPTY_STATE, NOW, S, NOW - 30 * DAY);
  assert.equal(windows.length, 3);
  assert.equal(windows[0]!.start, NOW - 30 * DAY);
  assert.equal(windows[2]!.end, NOW - 5 * MIN);
  for (let i = 1; i < windows.length; i++) assert.equal(windows[i]!.start, windows[i - 1]!.end + 1000);
});

test('the next fast pass starts one second after fastUntil; nothing when caught up', () => {
  const state = afterFastWindow(EMPTY_STATE, { start: NOW - HOUR, end: NOW - 10 * MIN });
  assert.deepEqual(planFastPass(state, NOW, S, 0), [{ start: NOW - 10 * MIN + 1000, end: NOW - 5 * MIN }]);
  assert.deepEqual(planFastPass({ ...state, fastUntil: NOW - 5 * MIN }, NOW, S, 0), []);
});

test('a fast pass never starts beyond the 90-day horizon, even after a long outage', () => {
  const state = { ...EMPTY_STATE, coveredFrom: NOW - 200 * DAY, fastUntil: NOW - 120 * DAY };
  const windows = planFastPass(state, NOW, S, 0);
  assert.ok(windows[0]!.start >= NOW - 90 * DAY + HOUR - 1000);
});

test('the time between fastUntil and the horizon after a long outage is a gap; none otherwise', () => {
  const horizon = Math.ceil((NOW - S.horizonMs) / 1000) * 1000;
  const state = { ...EMPTY_STATE, coveredFrom: NOW - 200 * DAY, fastUntil: NOW - 120 * DAY };
  assert.deepEqual(fastPassGap(state, NOW, S), { start: NOW - 120 * DAY + 1000, end: horizon - 1000 });
  assert.equal(planFastPass(state, NOW, S, 0)[0]!.start, horizon, 'the gap ends just before the first window');
  assert.equal(fastPassGap({ ...state, fastUntil: horizon - 1000 }, NOW, S), null, 'contiguous: no gap');
  assert.equal(fastPassGap({ ...state, fastUntil: NOW - 5 * MIN }, NOW, S), null);
  assert.equal(fastPassGap(EMPTY_STATE, NOW, S), null, 'a first run has nothing to miss');
});

test('gaps are kept in the state, bounded, and read back defensively', () => {
  let state: CollectorState = EMPTY_STATE;
  for (let i = 0; i < MAX_RECORDED_GAPS + 3; i++) state = withGap(state, { start: i, end: i + 1 });
  assert.equal(state.gaps!.length, MAX_RECORDED_GAPS);
  assert.deepEqual(state.gaps![0], { start: 3, end: 4 }, 'the oldest are forgotten first');
  assert.deepEqual(parseState(JSON.parse(JSON.stringify(state))), state);
  assert.deepEqual(parseState({ ...EMPTY_STATE, gaps: [{ start: 1 }, null, { start: 1, end: 2 }] }).gaps, [
    { start: 1, end: 2 },
  ]);
});

test('backfill goes newest first from just before coveredFrom down to since', () => {
  const state = { ...EMPTY_STATE, coveredFrom: NOW - 2 * DAY, fastUntil: NOW - 5 * MIN };
  const windows = planBackfill(state, NOW - 25 * DAY, NOW, S);
  assert.equal(windows.length, 3);
  assert.equal(windows[0]!.end, NOW - 2 * DAY - 1000);
  assert.equal(windows[2]!.start, NOW - 25 * DAY);
  let s: CollectorState = state;
  for (const w of windows) s = afterBackfillWindow(s, w);
  assert.equal(s.coveredFrom, NOW - 25 * DAY);
  assert.deepEqual(planBackfill(s, NOW - 25 * DAY, NOW, S), []);
  assert.deepEqual(planBackfill(state, undefined, NOW, S), []);
});

test('reconciliation re-reads the trailing 48 h and short windows around older transient rows', () => {
  const state = { ...EMPTY_STATE, coveredFrom: NOW - 20 * DAY, fastUntil: NOW - 5 * MIN };
  const old1 = NOW - 10 * DAY + 1234;
  const old2 = old1 + 3 * MIN;
  const old3 = NOW - 15 * DAY;
  const recent = NOW - HOUR;
  const windows = planReconcile(state, NOW, S, [old1, old2, old3, recent, NOW - 30 * DAY]);
  const trailing = windows.filter((w) => w.end > NOW - 2 * DAY);
  assert.equal(trailing[0]!.start, NOW - 2 * DAY);
  assert.equal(trailing.at(-1)!.end, NOW - 5 * MIN);
  const transient = windows.filter((w) => w.end < NOW - 2 * DAY);
  assert.deepEqual(transient, [
    { start: old3, end: old3 },
    { start: old1 - 234, end: old2 - 234 },
  ]);
  assert.deepEqual(planReconcile(EMPTY_STATE, NOW, S, []), []);
});

test('the number of transient windows per pass is capped, newest kept', () => {
  const state = { ...EMPTY_STATE, coveredFrom: NOW - 60 * DAY, fastUntil: NOW - 5 * MIN };
  const times = Array.from({ length: 30 }, (_, i) => NOW - 3 * DAY - i * DAY);
  const transient = planReconcile(state, NOW, S, times).filter((w) => w.end < NOW - 2 * DAY);
  assert.equal(transient.length, S.maxTransientWindows);
  assert.equal(transient.at(-1)!.start, NOW - 3 * DAY);
});

test('a stored state is read defensively', () => {
  assert.deepEqual(parseState(undefined), EMPTY_STATE);
  assert.deepEqual(parseState({ fastUntil: 5, coveredFrom: 'x' }), { ...EMPTY_STATE, fastUntil: 5 });
});

test('quota usage: requests in the last hour, average and peak fraction of the 100 / 5 min budget', () => {
  const log = new RequestLog();
  // One every 5 minutes from 70 to 15 minutes ago (the first three are older than an hour), then a burst.
  for (let i = 0; i < 12; i++) log.record(NOW - 70 * MIN + i * 5 * MIN);
  for (let i = 0; i < 9; i++) log.record(NOW - MIN);
  const usage = log.usage(NOW);
  assert.equal(usage.requestsLastHour, 9 + 9);
  assert.equal(usage.requestsLastWindow, 9);
  assert.equal(usage.fractionOfBudget, 18 / 12 / 100);
  assert.equal(usage.peakFractionOfBudget, 0.09);
});
