import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteSink } from '../../src/sinks/sqlite.ts';
import { openStore } from '../../src/store/index.ts';
import { event, TENANT } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mailtrace-sqlite-sink-'));

test('stores every event (rows and status history) and acknowledges once committed', async () => {
  const store = openStore(join(dir, 'a.db'));
  const sink = new SqliteSink(store, { now: () => Date.parse('2026-03-01T12:00:00Z') });
  const batch = [event('a', 'pending'), event('b'), event('a', 'delivered', 'pending')];
  const ack = await sink.write(batch);
  assert.deepEqual(
    ack.acknowledged,
    batch.map((e) => e.key),
  );
  const rows = store.queryTraceRows({ tenant: TENANT });
  assert.deepEqual(rows.map((r) => [r.row.id, r.status]).sort(), [
    ['a', 'delivered'],
    ['b', 'delivered'],
  ]);
  assert.equal(store.stats(TENANT).statusChanges, 1);

  // Redelivery (after a crash) is harmless: nothing changes, and it is acknowledged again.
  const again = await sink.write(batch);
  assert.equal(again.acknowledged.length, 3);
  assert.equal(store.stats(TENANT).rows, 2);
  assert.equal(store.stats(TENANT).statusChanges, 1);
  assert.deepEqual((await sink.healthcheck()).ok, true);
  await sink.close();
  store.close();
});

test('a store that cannot be written fails the whole batch, nothing half-written', async () => {
  const store = openStore(join(dir, 'b.db'));
  const sink = new SqliteSink(store, { closeStore: true });
  const bad = { ...event('c'), tenant: ' ' };
  const ack = await sink.write([event('d'), bad]);
  assert.equal(ack.acknowledged.length, 0);
  assert.equal(ack.failed.length, 2);
  assert.match(ack.failed[0]!.reason, /tenant must be a non-empty string/);
  assert.equal(ack.failed[0]!.retryable, false);
  assert.equal(store.stats().rows, 0, 'the good event was rolled back with the bad one');
  await sink.close();
  assert.throws(() => store.stats(), /closed/);
  assert.equal((await sink.write([event('e')])).failed[0]?.reason, 'the SQLite sink is closed');
});
