import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
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

/**
 * A real file on a disk that fills up: writes go through until `room` bytes are used, as a short write, then fail
 * with ENOSPC; truncate fails with EIO while `truncateFails` is set.
 */
function fillingDisk(room: number) {
  const disk = { room, truncateFails: false, truncates: 0 };
  const openFile = async (path: string, flags: string): Promise<FileHandle> => {
    const real = await open(path, flags);
    return new Proxy(real, {
      get(target, property, receiver) {
        if (property === 'write') {
          return async (buffer: Buffer, offset: number, length: number) => {
            if (disk.room <= 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
            const n = Math.min(length, disk.room);
            disk.room -= n;
            return target.write(buffer, offset, n);
          };
        }
        if (property === 'truncate') {
          return async (len: number) => {
            disk.truncates++;
            if (disk.truncateFails) throw Object.assign(new Error('i/o error'), { code: 'EIO' });
            return target.truncate(len);
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return { disk, openFile };
}

function localIds(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends with a whole line');
  return text === '' ? [] : text.trimEnd().split('\n').map((l) => (JSON.parse(l) as { email: { local_id: string } }).email.local_id);
}

test('disk full mid-batch: the partial batch is cut off before the failure is answered; the retry writes it once', async () => {
  const path = join(dir, 'full.ndjson');
  const { disk, openFile } = fillingDisk(Number.POSITIVE_INFINITY);
  const sink = new NdjsonSink({ path }, { openFile });
  assert.equal((await sink.write([event('a1'), event('a2')])).acknowledged.length, 2);
  const before = readFileSync(path).length;
  disk.room = 300; // a line is larger than this: the second batch is cut in its first lines
  const second = [event('b1'), event('b2'), event('b3')];
  const failed = await sink.write(second);
  assert.deepEqual(failed.failed.map((f) => [f.key, f.retryable]), second.map((e) => [e.key, true]));
  assert.equal(readFileSync(path).length, before, 'nothing of the failed batch is left in the file');
  assert.deepEqual(localIds(path), ['a1', 'a2']);
  disk.room = Number.POSITIVE_INFINITY; // space freed while the daemon keeps running
  assert.equal((await sink.write(second)).acknowledged.length, 3);
  await sink.close();
  assert.deepEqual(localIds(path), ['a1', 'a2', 'b1', 'b2', 'b3'], 'no duplicate and no corrupt line');
});

test('disk full and the rollback fails too: nothing more is appended until the file is repaired', async () => {
  const path = join(dir, 'full-stuck.ndjson');
  const { disk, openFile } = fillingDisk(Number.POSITIVE_INFINITY);
  const sink = new NdjsonSink({ path }, { openFile });
  await sink.write([event('a1')]);
  disk.room = 100;
  disk.truncateFails = true;
  assert.equal((await sink.write([event('b1'), event('b2')])).failed.length, 2);
  const health = await sink.healthcheck();
  assert.equal(health.ok, false);
  assert.match(health.detail, /partial batch .* could not be cut off/);
  disk.room = Number.POSITIVE_INFINITY; // space is back, but the debris is still there and cannot be cut off
  const refused = await sink.write([event('c1')]);
  assert.equal(refused.failed.length, 1);
  assert.match(refused.failed[0]!.reason, /EIO/, 'the batch is refused with the reason the file could not be repaired');
  assert.doesNotMatch(readFileSync(path, 'utf8'), /"c1"/, 'nothing appended after the debris');
  disk.truncateFails = false;
  assert.equal((await sink.write([event('b1'), event('b2')])).acknowledged.length, 2);
  assert.equal((await sink.write([event('c1')])).acknowledged.length, 1);
  assert.deepEqual(await sink.healthcheck(), { ok: true, detail: `appending to ${path}` });
  await sink.close();
  assert.deepEqual(localIds(path), ['a1', 'b1', 'b2', 'c1']);
});
