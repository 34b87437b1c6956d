// A collector stopped for longer than the 90-day horizon cannot read the time it missed: the cycle must say so
// (report, warning), the checkpoint must remember it, and `status` must show it. Never silently.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tenantStatus } from '../../src/cli/commands/status-run.ts';
import type { GraphRequest, GraphResponse, Logger, Send } from '../../src/graph/types.ts';
import { openStore } from '../../src/store/index.ts';
import { DEFAULT_PASS_SETTINGS, parseState } from '../../src/trace/passes.ts';
import { STATE_CHECKPOINT, TenantCollector } from '../../src/trace/tenant-collector.ts';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const DAY = 86_400_000;
const TENANT = '11111111-2222-3333-4444-555555555555';

test('a stop longer than the horizon is reported, logged, checkpointed and shown by status', async () => {
  const store = openStore(':memory:', { now: () => NOW });
  const stoppedAt = NOW - 120 * DAY;
  store.setCheckpoint(TENANT, STATE_CHECKPOINT, {
    version: 1,
    coveredFrom: stoppedAt - DAY,
    fastUntil: stoppedAt,
    lastReconcileAt: stoppedAt,
  });
  const filters: string[] = [];
  const send = (async (request: GraphRequest) => {
    filters.push(new URL(request.url, 'https://graph.test/v1.0/').searchParams.get('$filter') ?? '');
    return {
      status: 200,
      headers: new Headers(),
      body: { value: [] },
      requestId: undefined,
      clientRequestId: 'x',
    } as GraphResponse<never>;
  }) as Send;
  const warnings: [string, Record<string, unknown> | undefined][] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (event, fields) => void warnings.push([event, fields]) };
  const collector = new TenantCollector({
    tenant: { tenantId: TENANT, acceptedDomains: ['contoso.com'], send },
    store,
    sinks: [],
    clock: { now: () => NOW, sleep: async () => {} },
    settings: DEFAULT_PASS_SETTINGS,
    reconcileIntervalMs: 15 * 60_000,
    logger,
  });

  const report = await collector.runCycle();
  assert.equal(report.ok, true, report.error);
  const horizon = NOW - DEFAULT_PASS_SETTINGS.horizonMs;
  const gap = { start: new Date(stoppedAt + 1000).toISOString(), end: new Date(horizon - 1000).toISOString() };
  assert.deepEqual(report.gap, gap);
  const warning = warnings.find(([event]) => event === 'collector.gap');
  assert.ok(warning, 'a warning is logged');
  assert.equal(warning[1]?.start, gap.start);
  assert.ok(filters[0]?.startsWith(`receivedDateTime ge ${new Date(horizon).toISOString().slice(0, 19)}Z`));

  const state = parseState(store.getCheckpoint(TENANT, STATE_CHECKPOINT));
  assert.deepEqual(state.gaps, [{ start: stoppedAt + 1000, end: horizon - 1000 }]);
  assert.deepEqual(tenantStatus(store, TENANT, null, NOW).gaps, [gap]);

  // The next cycle has nothing missing: no new gap, the recorded one stays.
  const next = await collector.runCycle();
  assert.equal(next.gap, undefined);
  assert.equal(parseState(store.getCheckpoint(TENANT, STATE_CHECKPOINT)).gaps?.length, 1);
  store.close();
});
