import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { openStore, SCHEMA_VERSION, type Store, StoreError } from '../../src/store/index.ts';
import type { TraceRow } from '../../src/trace/model.ts';

const dir = mkdtempSync(join(tmpdir(), 'mailtrace-store-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let clock = Date.parse('2026-02-01T00:00:00Z');
function memoryStore(): Store {
  return openStore(':memory:', { now: () => clock });
}

function row(i: number, overrides: Partial<TraceRow> = {}): TraceRow {
  return {
    id: `trace-${Math.floor(i / 2)}`,
    messageId: `<msg-${Math.floor(i / 2)}@fabrikam.com>`,
    senderAddress: `Sender${i % 3}@fabrikam.com`,
    recipientAddress: `User${i}@contoso.com`,
    receivedDateTime: new Date(Date.UTC(2026, 0, 20) + i * 60_000).toISOString().slice(0, 19) + 'Z',
    subject: `Report ${i}`,
    size: 1000 + i,
    fromIP: '203.0.113.7',
    toIP: '',
    status: 'pending',
    ...overrides,
  };
}

describe('upsertTraceRows', () => {
  it('reports new rows, then nothing for the same rows, then each status change once', () => {
    const store = memoryStore();
    const rows = [row(0), row(1), row(2)];
    const first = store.upsertTraceRows('t1', rows, '2026-01-20T01:00:00Z');
    assert.deepEqual(
      first.map((c) => c.kind),
      ['new', 'new', 'new'],
    );
    assert.deepEqual(store.upsertTraceRows('t1', rows, '2026-01-20T01:05:00Z'), []);
    // Casing differences (v1.0 vs beta) and recipient casing are not changes.
    assert.deepEqual(
      store.upsertTraceRows(
        't1',
        [row(0, { status: 'Pending', recipientAddress: 'USER0@CONTOSO.COM' })],
        '2026-01-20T01:06:00Z',
      ),
      [],
    );
    const changed = store.upsertTraceRows(
      't1',
      [row(0, { status: 'Delivered' }), row(1)],
      '2026-01-20T01:10:00Z',
    );
    assert.equal(changed.length, 1);
    assert.equal(changed[0]!.kind, 'statusChanged');
    assert.equal(changed[0]!.kind === 'statusChanged' && changed[0]!.previousStatus, 'pending');
    assert.deepEqual(
      store.upsertTraceRows('t1', [row(0, { status: 'delivered' })], '2026-01-20T01:15:00Z'),
      [],
    );
    const stats = store.stats('t1');
    assert.equal(stats.rows, 3);
    assert.equal(stats.statusChanges, 1);
    assert.deepEqual(stats.byStatus, { delivered: 1, pending: 2 });
    assert.equal(stats.lastSeen, '2026-01-20T01:15:00.000Z');
    store.close();
  });

  it('keeps tenants apart', () => {
    const store = memoryStore();
    store.upsertTraceRows('t1', [row(0)], '2026-01-20T01:00:00Z');
    assert.equal(store.upsertTraceRows('t2', [row(0)], '2026-01-20T01:00:00Z').length, 1);
    assert.equal(store.stats().rows, 2);
    assert.equal(store.stats('t2').rows, 1);
    store.close();
  });

  it('compares against earlier rows of the same batch', () => {
    const store = memoryStore();
    const changes = store.upsertTraceRows(
      't1',
      [row(0), row(0), row(0, { status: 'delivered' })],
      '2026-01-20T01:00:00Z',
    );
    assert.deepEqual(
      changes.map((c) => c.kind),
      ['new', 'statusChanged'],
    );
    store.close();
  });

  it('reports a row flapping between statuses within one batch as each change', () => {
    const store = memoryStore();
    const changes = store.upsertTraceRows(
      't1',
      [row(0), row(0, { status: 'delivered' }), row(0, { status: 'pending' })],
      '2026-01-20T01:00:00Z',
    );
    assert.deepEqual(
      changes.map((c) => (c.kind === 'statusChanged' ? `${c.previousStatus}->${c.row.status}` : c.kind)),
      ['new', 'pending->delivered', 'delivered->pending'],
    );
    assert.equal(store.queryTraceRows()[0]!.status, 'pending');
    store.close();
  });

  it('rejects a batch holding a malformed row without storing any of it', () => {
    const store = memoryStore();
    assert.throws(
      () =>
        store.upsertTraceRows('t1', [row(0), row(1, { receivedDateTime: 'soon' })], '2026-01-20T01:00:00Z'),
      (e: unknown) => e instanceof StoreError && e.code === 'invalid' && /trace-0/.test(e.message),
    );
    assert.throws(() => store.upsertTraceRows('t1', [row(0)], 'not a date'), /seenAt/);
    assert.throws(() => store.upsertTraceRows('', [row(0)], '2026-01-20T01:00:00Z'), /tenant/);
    assert.equal(store.stats().rows, 0);
    store.close();
  });

  it('stores the raw Graph object, extra properties included', () => {
    const store = memoryStore();
    const raw = { ...row(0), '@odata.type': '#microsoft.graph.exchangeMessageTrace', extra: [1] } as TraceRow;
    store.upsertTraceRows('t1', [raw], '2026-01-20T01:00:00Z');
    assert.deepEqual(store.queryTraceRows()[0]!.row, raw);
    store.close();
  });
});

describe('queryTraceRows', () => {
  const store = memoryStore();
  const rows = Array.from({ length: 20 }, (_, i) =>
    row(i, {
      status: i % 4 === 0 ? 'Delivered' : 'filteredAsSpam',
      subject: i === 7 ? "Robert'); DROP TABLE trace_rows;-- 100%_off" : `Report ${i}`,
    }),
  );
  store.upsertTraceRows('t1', rows, '2026-01-21T00:00:00Z');
  store.upsertTraceRows('t2', [row(0)], '2026-01-21T00:00:00Z');
  after(() => store.close());

  it('returns newest first with a limit', () => {
    const found = store.queryTraceRows({ tenant: 't1', limit: 3 });
    assert.deepEqual(
      found.map((f) => f.row.recipientAddress),
      ['User19@contoso.com', 'User18@contoso.com', 'User17@contoso.com'],
    );
    assert.equal(found[0]!.firstSeen, '2026-01-21T00:00:00.000Z');
  });

  it('finds a message id with or without angle brackets', () => {
    assert.equal(store.queryTraceRows({ tenant: 't1', messageId: '<msg-3@fabrikam.com>' }).length, 2);
    assert.equal(store.queryTraceRows({ tenant: 't1', messageId: 'msg-3@fabrikam.com' }).length, 2);
    assert.equal(store.queryTraceRows({ messageId: 'msg-0@fabrikam.com' }).length, 3);
  });

  it('filters on sender and recipient case-insensitively, status in any casing', () => {
    assert.equal(store.queryTraceRows({ tenant: 't1', sender: 'SENDER1@fabrikam.com' }).length, 7);
    assert.equal(store.queryTraceRows({ tenant: 't1', recipient: 'user5@CONTOSO.com' }).length, 1);
    const delivered = store.queryTraceRows({ tenant: 't1', status: 'delivered' });
    assert.equal(delivered.length, 5);
    assert.ok(delivered.every((d) => d.status === 'delivered' && d.row.status === 'Delivered'));
    assert.equal(store.queryTraceRows({ tenant: 't1', status: 'FILTEREDASSPAM' }).length, 15);
  });

  it('treats subject text literally: quotes, % and _ are not SQL', () => {
    const hit = store.queryTraceRows({ subjectContains: "'); drop table" });
    assert.equal(hit.length, 1);
    assert.equal(store.queryTraceRows({ subjectContains: '100%_OFF' }).length, 1);
    assert.equal(store.queryTraceRows({ subjectContains: '%' }).length, 1);
    assert.equal(store.queryTraceRows({ subjectContains: 'report 1' }).length, 11);
    assert.equal(store.stats().rows, 21, 'table still there');
  });

  it('bounds receivedDateTime inclusively', () => {
    const found = store.queryTraceRows({
      tenant: 't1',
      since: '2026-01-20T00:02:00Z',
      until: new Date('2026-01-20T00:04:00Z'),
    });
    assert.deepEqual(
      found.map((f) => f.row.recipientAddress),
      ['User4@contoso.com', 'User3@contoso.com', 'User2@contoso.com'],
    );
    assert.throws(() => store.queryTraceRows({ since: 'last tuesday' }), /since/);
    assert.throws(() => store.queryTraceRows({ limit: 0 }), /limit/);
  });

  it('reports oldest and newest received times', () => {
    const stats = store.stats('t1');
    assert.equal(stats.oldestReceivedAt, '2026-01-20T00:00:00.000Z');
    assert.equal(stats.newestReceivedAt, '2026-01-20T00:19:00.000Z');
    assert.equal(stats.statusChanges, 0);
  });
});

describe('checkpoints', () => {
  it('stores JSON atomically with a version that grows on every write', () => {
    const store = memoryStore();
    assert.equal(store.getCheckpoint('t1', 'collector'), undefined);
    assert.equal(store.setCheckpoint('t1', 'collector', { until: '2026-01-20T00:00:00Z', n: 1 }), 1);
    assert.equal(store.setCheckpoint('t1', 'collector', { until: '2026-01-21T00:00:00Z', n: 2 }), 2);
    assert.deepEqual(store.getCheckpoint('t1', 'collector'), { until: '2026-01-21T00:00:00Z', n: 2 });
    const record = store.getCheckpointRecord('t1', 'collector');
    assert.equal(record?.version, 2);
    assert.equal(record?.updatedAt, new Date(clock).toISOString());
    assert.equal(store.getCheckpoint('t2', 'collector'), undefined);
    store.close();
  });

  it('refuses a compare-and-set against a stale version', () => {
    const store = memoryStore();
    assert.equal(store.setCheckpoint('t1', 'c', 1, { expectedVersion: 0 }), 1);
    assert.throws(
      () => store.setCheckpoint('t1', 'c', 2, { expectedVersion: 0 }),
      (e: unknown) => e instanceof StoreError && e.code === 'conflict',
    );
    assert.equal(store.setCheckpoint('t1', 'c', 3, { expectedVersion: 1 }), 2);
    assert.equal(store.getCheckpoint('t1', 'c'), 3);
    assert.throws(() => store.setCheckpoint('t1', 'c', undefined), /JSON/);
    store.close();
  });

  it('commits rows and checkpoint together, or neither', () => {
    const store = memoryStore();
    assert.throws(() =>
      store.transaction(() => {
        store.upsertTraceRows('t1', [row(0)], '2026-01-20T01:00:00Z');
        store.setCheckpoint('t1', 'c', 'advanced');
        throw new Error('sink refused the batch');
      }),
    );
    assert.equal(store.stats().rows, 0);
    assert.equal(store.getCheckpoint('t1', 'c'), undefined);
    store.transaction(() => {
      store.upsertTraceRows('t1', [row(0)], '2026-01-20T01:00:00Z');
      store.setCheckpoint('t1', 'c', 'advanced');
    });
    assert.equal(store.stats().rows, 1);
    assert.equal(store.getCheckpoint('t1', 'c'), 'advanced');
    store.close();
  });
});

describe('runs', () => {
  it('records a run from start to finish and lists newest first', () => {
    const store = memoryStore();
    clock = Date.parse('2026-02-01T00:00:00Z');
    const a = store.startRun({ kind: 'collect', tenant: 't1', params: { since: '2d' } });
    clock += 60_000;
    const b = store.startRun({ kind: 'investigate', tenant: 't1' });
    assert.equal(store.getRun(a)?.status, 'running');
    clock += 60_000;
    store.finishRun(a, {
      status: 'partial',
      summary: { rows: 10 },
      failures: [{ window: 'w1', reason: '503' }],
    });
    const run = store.getRun(a);
    assert.deepEqual(run, {
      id: a,
      kind: 'collect',
      tenant: 't1',
      params: { since: '2d' },
      startedAt: '2026-02-01T00:00:00.000Z',
      endedAt: '2026-02-01T00:02:00.000Z',
      status: 'partial',
      summary: { rows: 10 },
      failures: [{ window: 'w1', reason: '503' }],
    });
    assert.deepEqual(
      store.listRuns().map((r) => r.id),
      [b, a],
    );
    assert.deepEqual(
      store.listRuns({ kind: 'collect' }).map((r) => r.id),
      [a],
    );
    assert.deepEqual(
      store.listRuns({ status: 'running' }).map((r) => r.id),
      [b],
    );
    assert.throws(() => store.finishRun(a, { status: 'failed' }), /already finished/);
    assert.throws(() => store.finishRun('nope', { status: 'failed' }), /no run/);
    assert.equal(store.getRun('nope'), undefined);
    store.close();
  });
});

describe('opening', () => {
  it('creates a WAL store at the current schema version and reopens it', () => {
    const path = join(dir, 'fresh.db');
    const store = openStore(path);
    store.upsertTraceRows('t1', [row(0)], '2026-01-20T01:00:00Z');
    store.close();
    const raw = new DatabaseSync(path);
    assert.equal(
      (raw.prepare('PRAGMA user_version').get() as { user_version: number }).user_version,
      SCHEMA_VERSION,
    );
    assert.equal((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    raw.close();
    const again = openStore(path);
    assert.equal(again.stats().rows, 1);
    again.close();
  });

  it('refuses a store written by a newer mailtrace', () => {
    const path = join(dir, 'newer.db');
    const raw = new DatabaseSync(path);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(
      () => openStore(path),
      (e: unknown) => e instanceof StoreError && e.code === 'too_new' && /newer mailtrace/.test(e.message),
    );
  });

  it('fails with "closed" after close', () => {
    const store = memoryStore();
    store.close();
    assert.throws(
      () => store.stats(),
      (e: unknown) => e instanceof StoreError && e.code === 'closed',
    );
  });
});
