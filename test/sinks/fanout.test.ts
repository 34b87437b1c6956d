import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deliver, FanoutSink } from '../../src/sinks/fanout.ts';
import type { Sink, SinkAck, SinkEvent, SinkHealth } from '../../src/sinks/types.ts';
import { event } from './helpers.ts';

/** A sink whose answer per key is scripted: 'ack', 'fail' (retryable), 'reject' (not retryable), 'drop', 'silent'. */
class ScriptedSink implements Sink {
  readonly name: string;
  readonly received: string[][] = [];
  readonly #answer: (key: string) => 'ack' | 'fail' | 'reject' | 'drop' | 'silent';
  throwOnWrite = false;
  constructor(name: string, answer: (key: string) => 'ack' | 'fail' | 'reject' | 'drop' | 'silent') {
    this.name = name;
    this.#answer = answer;
  }

  async write(batch: readonly SinkEvent[]): Promise<SinkAck> {
    this.received.push(batch.map((e) => e.key));
    if (this.throwOnWrite) throw new Error('socket hang up');
    const ack: SinkAck = { acknowledged: [], failed: [], dropped: [] };
    for (const e of batch) {
      const a = this.#answer(e.key);
      if (a === 'ack') ack.acknowledged.push(e.key);
      else if (a === 'fail') ack.failed.push({ key: e.key, reason: 'busy', retryable: true });
      else if (a === 'reject') ack.failed.push({ key: e.key, reason: 'too large', retryable: false });
      else if (a === 'drop') ack.dropped.push({ key: e.key, reason: 'over 250000 bytes' });
    }
    return ack;
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
  async healthcheck(): Promise<SinkHealth> {
    return { ok: !this.throwOnWrite, detail: this.throwOnWrite ? 'down' : 'up' };
  }
}

const [a, b, c] = [event('a'), event('b'), event('c')];

test('an event is settled only when every sink acknowledged or dropped it', async () => {
  const one = new ScriptedSink('one', () => 'ack');
  const two = new ScriptedSink('two', (k) => (k === b.key ? 'fail' : k === c.key ? 'drop' : 'ack'));
  const outcome = await deliver(
    [one, two],
    [a, b, c].map((event) => ({ event, sinks: ['one', 'two'] })),
  );
  assert.deepEqual(outcome.settled.sort(), [a.key, c.key].sort());
  assert.deepEqual([...outcome.remaining], [[b.key, ['two']]], 'only the failing sink still owes b');
  assert.deepEqual(outcome.failed, [{ sink: 'two', key: b.key, reason: 'busy' }]);
  assert.deepEqual(outcome.dropped, [{ sink: 'two', key: c.key, reason: 'over 250000 bytes' }]);

  // Redelivery goes to the sink that owes it, not to the one that has it.
  await deliver([one, two], [{ event: b, sinks: ['two'] }]);
  assert.equal(one.received.length, 1);
  assert.deepEqual(two.received[1], [b.key]);
});

test('a non-retryable rejection keeps the event owed (a misconfigured sink never loses data); silence and throws are failures too', async () => {
  const rejecting = new ScriptedSink('r', (k) => (k === a.key ? 'reject' : k === b.key ? 'silent' : 'ack'));
  const throwing = new ScriptedSink('t', () => 'ack');
  throwing.throwOnWrite = true;
  const outcome = await deliver(
    [rejecting, throwing],
    [
      { event: a, sinks: ['r'] },
      { event: b, sinks: ['r'] },
      { event: c, sinks: ['t', 'gone'] },
    ],
  );
  assert.deepEqual(outcome.settled, []);
  assert.deepEqual(outcome.dropped, []);
  assert.deepEqual(outcome.remaining.get(a.key), ['r']);
  assert.match(
    outcome.failed.find((f) => f.key === a.key)!.reason,
    /too large \(fix the sink; events are kept\)/,
  );
  assert.deepEqual(outcome.remaining.get(b.key), ['r']);
  assert.deepEqual(outcome.remaining.get(c.key), ['t'], 'a sink no longer configured owes nothing');
  assert.match(outcome.failed.find((f) => f.key === c.key)!.reason, /sink t threw: socket hang up/);
  assert.match(outcome.failed.find((f) => f.key === b.key)!.reason, /did not answer/);
});

test('FanoutSink acknowledges what every sink acknowledged, and reports health of each', async () => {
  const one = new ScriptedSink('one', () => 'ack');
  const two = new ScriptedSink('two', (k) => (k === b.key ? 'fail' : k === c.key ? 'drop' : 'ack'));
  const fan = new FanoutSink([one, two]);
  const ack = await fan.write([a, b, c]);
  assert.deepEqual(ack.acknowledged, [a.key]);
  assert.deepEqual(ack.failed, [{ key: b.key, reason: 'two: busy', retryable: true }]);
  assert.deepEqual(ack.dropped, [{ key: c.key, reason: 'two: over 250000 bytes' }]);
  two.throwOnWrite = true;
  const health = await fan.healthcheck();
  assert.equal(health.ok, false);
  assert.equal(health.detail, 'one: ok (up); two: failing (down)');
  assert.throws(() => new FanoutSink([one, new ScriptedSink('one', () => 'ack')]), /names must be unique/);
});

test('a drop is settled only once onDropped has kept it; when keeping fails the event stays owed', async () => {
  const dropping = new ScriptedSink('d', (k) => (k === c.key ? 'drop' : 'ack'));
  const kept: string[] = [];
  const settledKeys: string[] = [];
  const outcome = await deliver(
    [dropping],
    [a, c].map((event) => ({ event, sinks: ['d'] })),
    {
      onDropped: async (sink, drops) => {
        for (const d of drops) kept.push(`${sink.name}:${d.event.key}:${d.reason}`);
      },
      onSettled: (_sink, keys) => {
        settledKeys.push(...keys);
      },
    },
  );
  assert.deepEqual(kept, [`d:${c.key}:over 250000 bytes`]);
  assert.deepEqual(settledKeys.sort(), [a.key, c.key].sort());
  assert.deepEqual(outcome.dropped, [{ sink: 'd', key: c.key, reason: 'over 250000 bytes' }]);

  const unkept = await deliver([dropping], [{ event: c, sinks: ['d'] }], {
    onDropped: () => Promise.reject(new Error('ENOSPC no space left on device')),
  });
  assert.deepEqual(unkept.settled, []);
  assert.deepEqual(unkept.dropped, []);
  assert.deepEqual(unkept.remaining.get(c.key), ['d']);
  assert.match(unkept.failed[0]?.reason ?? '', /dead-letter file could not keep it: ENOSPC/);
});
