import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { NdjsonSink } from '../../src/sinks/ndjson.ts';
import { event } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mailtrace-ndjson-'));

test('appends one ECS document per line and acknowledges every event', async () => {
  const path = join(dir, 'a.ndjson');
  const sink = new NdjsonSink({ path });
  const batch = [event('a'), event('b'), event('b', 'failed', 'pending')];
  const ack = await sink.write(batch);
  assert.deepEqual(ack, { acknowledged: batch.map((e) => e.key), failed: [], dropped: [] });
  await sink.write([event('c')]);
  await sink.flush();
  await sink.close();
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 4);
  const docs = lines.map((l) => JSON.parse(l) as { event: { id: string }; email: { local_id: string } });
  assert.deepEqual(
    docs.map((d) => d.email.local_id),
    ['a', 'b', 'b', 'c'],
  );
  assert.equal(docs[0]!.event.id, batch[0]!.key, 'the line carries the event key as event.id');
  assert.deepEqual(sink.metrics.snapshot(), { sent: 4, acknowledged: 4, failed: 0, retried: 0, dropped: {} });
});

test('reopening cuts off a half-written last line left by a crash, and keeps appending', async () => {
  const path = join(dir, 'b.ndjson');
  writeFileSync(path, '{"event":{"id":"x"}}\n{"event":{"id":"trunc');
  const sink = new NdjsonSink({ path });
  await sink.write([event('d')]);
  await sink.close();
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[0], '{"event":{"id":"x"}}');
  assert.equal((JSON.parse(lines[1]!) as { email: { local_id: string } }).email.local_id, 'd');
  assert.equal(lines[2], '');
});

test('writes to a stream (stdout) and concurrent batches never interleave', async () => {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const sink = new NdjsonSink({ stream }, { name: 'stdout' });
  assert.equal(sink.name, 'stdout');
  const batches = Array.from({ length: 20 }, (_, i) => [event(`s${i}a`), event(`s${i}b`)]);
  const acks = await Promise.all(batches.map((b) => sink.write(b)));
  assert.ok(acks.every((a) => a.acknowledged.length === 2));
  const lines = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n');
  assert.equal(lines.length, 40);
  const ids = lines.map((l) => (JSON.parse(l) as { email: { local_id: string } }).email.local_id);
  for (let i = 0; i < 20; i++) assert.equal(ids.indexOf(`s${i}b`), ids.indexOf(`s${i}a`) + 1);
  assert.deepEqual(await sink.healthcheck(), { ok: true, detail: 'stream writable' });
});

test('an unwritable path fails the batch, says why, and the health check reports it', async () => {
  const sink = new NdjsonSink({ path: join(dir, 'missing-dir', 'c.ndjson') });
  const ack = await sink.write([event('e')]);
  assert.equal(ack.acknowledged.length, 0);
  assert.equal(ack.failed.length, 1);
  assert.match(ack.failed[0]!.reason, /ENOENT/);
  assert.equal(ack.failed[0]!.retryable, false);
  const health = await sink.healthcheck();
  assert.equal(health.ok, false);
  assert.match(health.detail, /cannot open/);
});

test('a closed sink refuses writes', async () => {
  const sink = new NdjsonSink({ path: join(dir, 'd.ndjson') });
  await sink.close();
  const ack = await sink.write([event('f')]);
  assert.equal(ack.failed[0]?.reason, 'the NDJSON sink is closed');
  assert.equal((await sink.healthcheck()).ok, false);
});
