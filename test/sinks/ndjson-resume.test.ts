import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findTailKeys, ResumingNdjsonSink } from '../../src/sinks/ndjson-resume.ts';
import type { SinkEvent } from '../../src/sinks/types.ts';

function event(key: string, redelivered = false): SinkEvent {
  return {
    key,
    kind: 'new',
    row: {} as SinkEvent['row'],
    ecs: { event: { id: key }, note: 'é🙂 multi-byte' } as unknown as SinkEvent['ecs'],
    tenant: 't',
    ...(redelivered ? { redelivered } : {}),
  };
}

function ids(path: string): string[] {
  return lines(path).map((l) => (JSON.parse(l) as { event: { id: string } }).event.id);
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

test('redelivered events the file already holds are acknowledged without being written again', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'mailtrace-resume-')), 'out.ndjson');
  const first = new ResumingNdjsonSink({ path });
  await first.write(['a', 'b', 'c'].map((k) => event(k)));
  await first.close();
  // A crash after the write: the outbox still owes b, c and d (d never reached the file); a torn line follows.
  appendFileSync(path, '{"event":{"id":"d"');
  const restarted = new ResumingNdjsonSink({ path });
  const ack = await restarted.write(['b', 'c', 'd'].map((k) => event(k, true)));
  assert.deepEqual(new Set(ack.acknowledged), new Set(['b', 'c', 'd']));
  assert.equal(restarted.skipped, 2);
  // A fresh event is written even if an equal key is in the file: only a redelivery is looked up.
  await restarted.write([event('a')]);
  await restarted.close();
  assert.deepEqual(ids(path), ['a', 'b', 'c', 'd', 'a']);
});

test('a redelivery in the same process finds what an earlier write of it put in the file', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'mailtrace-resume-')), 'same.ndjson');
  const sink = new ResumingNdjsonSink({ path });
  await sink.write(['a', 'b'].map((k) => event(k)));
  // The acknowledgement was never recorded (the store failed): the next cycle redelivers both, plus c.
  const ack = await sink.write([event('a', true), event('b', true), event('c')]);
  await sink.close();
  assert.deepEqual(new Set(ack.acknowledged), new Set(['a', 'b', 'c']));
  assert.equal(sink.skipped, 2);
  assert.deepEqual(ids(path), ['a', 'b', 'c']);
});

test('the tail scan crosses chunk boundaries and stops at its byte bound', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'mailtrace-resume-')), 'big.ndjson');
  const filler = `${JSON.stringify({ event: { id: 'x' }, pad: 'é'.repeat(500) })}\n`;
  appendFileSync(path, `${JSON.stringify({ event: { id: 'old' } })}\n`);
  appendFileSync(path, filler.repeat(3000)); // ~3 MB: several 1 MiB chunks
  appendFileSync(path, `${JSON.stringify({ event: { id: 'new' } })}\n`);
  const keys = new Set(['old', 'new', 'absent']);
  assert.deepEqual(await findTailKeys(path, keys, 64 * 1024 * 1024), new Set(['old', 'new']));
  assert.deepEqual(await findTailKeys(path, keys, 1024 * 1024), new Set(['new']), 'bounded scan');
  assert.deepEqual(await findTailKeys(join(path, '..', 'none'), keys, 1024), new Set());
});
