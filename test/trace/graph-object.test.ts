// Graph's object travels unchanged to the store's raw column, the outbox and the sinks; only the collector's
// working copy turns Graph's nulls (no subject, no IP) into ''.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { graphObject, parseTraceRow, type TraceRow } from '../../src/trace/model.ts';
import { outboxEntry, readOutbox, writeOutbox } from '../../src/trace/outbox.ts';

const dir = mkdtempSync(join(tmpdir(), 'mailtrace-graph-object-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FROM_GRAPH = Object.freeze({
  '@odata.type': '#microsoft.graph.exchangeMessageTrace',
  id: '4c3b2a10-0000-4000-8000-000000000001',
  messageId: '<no-subject@fabrikam.com>',
  senderAddress: 'sender@fabrikam.com',
  recipientAddress: 'adele@contoso.com',
  receivedDateTime: '2026-01-20T10:00:00Z',
  subject: null,
  size: 1234,
  fromIP: null,
  toIP: null,
  status: 'delivered',
  extra: { kept: true },
});

describe("Graph's object and the working copy", () => {
  it('parseTraceRow normalizes a copy and leaves the Graph object untouched', () => {
    const row = parseTraceRow(FROM_GRAPH);
    assert.deepEqual([row.subject, row.fromIP, row.toIP], ['', '', '']);
    assert.equal(graphObject(row), FROM_GRAPH);
    assert.equal(FROM_GRAPH.subject, null);
  });

  it('a row without nulls, or built in code, is its own Graph object', () => {
    const row = parseTraceRow({ ...FROM_GRAPH, subject: 'Hello', fromIP: '203.0.113.1', toIP: '' });
    assert.equal(graphObject(row), row);
  });

  it('the store keeps the Graph object in its raw column and reads back a working row', () => {
    const path = join(dir, 'raw.sqlite');
    const store = openStore(path);
    store.upsertTraceRows('t1', [parseTraceRow(FROM_GRAPH)], '2026-01-20T10:05:00Z');
    // A status change rewrites the raw column: it must stay Graph's object too.
    store.upsertTraceRows('t1', [parseTraceRow({ ...FROM_GRAPH, status: 'failed' })], '2026-01-20T10:06:00Z');
    const [stored] = store.queryTraceRows({ tenant: 't1' });
    store.close();
    assert.equal(stored!.row.subject, '');
    assert.deepEqual(graphObject(stored!.row), { ...FROM_GRAPH, status: 'failed' });
    const db = new DatabaseSync(path);
    const { raw } = db.prepare('SELECT raw FROM trace_rows').get() as { raw: string };
    db.close();
    assert.deepEqual(JSON.parse(raw), { ...FROM_GRAPH, status: 'failed' });
  });

  it('the outbox persists the Graph object, so events delivered after a restart carry it too', () => {
    const store = openStore(':memory:');
    const row: TraceRow = parseTraceRow(FROM_GRAPH);
    const attempt = store.acquireLease(
      { scope: 'collector:t1', holder: 'test', host: 'test', pid: 1, ttlMs: 60_000 },
      { now: 0 },
    );
    assert.ok(attempt.acquired);
    writeOutbox(store, 't1', [outboxEntry({ kind: 'new', row }, 'k1', ['sekoia'])], attempt.lease);
    const [entry] = readOutbox(store, 't1');
    store.close();
    assert.equal(entry!.row.subject, '');
    assert.deepEqual(graphObject(entry!.row), FROM_GRAPH);
  });
});
