import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SplunkHecSink, type SplunkHecSinkOptions } from '../../src/sinks/splunk-hec.ts';
import type { SinkEvent } from '../../src/sinks/types.ts';
import { event } from './helpers.ts';
import { FAST_RETRY } from './servers/base.ts';
import { captureLogger } from './servers/capture.ts';
import { type SplunkServer, splitConcatenatedJson, startSplunkServer } from './servers/splunk-server.ts';
import { testTls } from './servers/tls.ts';

const TOKEN = '8f14e45f-ceea-467a-9af0-c3a5e0b1d2f7';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function setup(
  serverOptions: Partial<Parameters<typeof startSplunkServer>[0]> = {},
  sinkOptions: Partial<SplunkHecSinkOptions> = {},
): Promise<{ hec: SplunkServer; sink: SplunkHecSink; lines: string[] }> {
  const hec = await startSplunkServer({ token: TOKEN, ...serverOptions });
  const { logger, lines } = captureLogger();
  const sink = new SplunkHecSink({
    url: hec.url,
    token: TOKEN,
    retry: FAST_RETRY,
    timeoutMs: 2_000,
    ackPollIntervalMs: 5,
    ackTimeoutMs: 1_000,
    logger,
    ...sinkOptions,
  });
  cleanup.push(
    () => sink.close(),
    () => hec.server.stop(),
  );
  return { hec, sink, lines };
}

function events(n: number, prefix = 'h'): SinkEvent[] {
  return Array.from({ length: n }, (_, i) => event(`${prefix}${i}`));
}

const eventRequests = (hec: SplunkServer) =>
  hec.server.requests.filter((r) => r.path === '/services/collector/event');

describe('Splunk HEC sink', () => {
  it('sends concatenated envelopes with time from receivedDateTime and the configured metadata', async () => {
    const { hec, sink } = await setup(
      {},
      { index: 'o365', host: 'mailtrace-1', source: 'graph', sourcetype: 'ms:trace' },
    );
    const batch = events(3);
    const ack = await sink.write(batch);
    assert.deepEqual(
      ack.acknowledged,
      batch.map((e) => e.key),
    );
    const [request] = eventRequests(hec);
    assert.equal(request?.headers.authorization, `Splunk ${TOKEN}`);
    assert.equal(splitConcatenatedJson(request?.body ?? '').length, 3);
    assert.equal(hec.indexed.length, 3);
    const first = hec.indexed[0] as Record<string, unknown>;
    assert.equal(first.time, Date.parse('2026-03-01T10:00:00Z') / 1000);
    assert.equal(first.index, 'o365');
    assert.equal(first.host, 'mailtrace-1');
    assert.equal(first.source, 'graph');
    assert.equal(first.sourcetype, 'ms:trace');
    assert.deepEqual(first.event, batch[0]?.row);
  });

  it('sends the ECS document when eventFormat is ecs, and splits large batches', async () => {
    const { hec, sink } = await setup({}, { eventFormat: 'ecs', maxRequestBytes: 3_000 });
    const batch = events(20);
    const ack = await sink.write(batch);
    assert.equal(ack.acknowledged.length, 20);
    assert.ok(eventRequests(hec).length >= 3);
    for (const r of eventRequests(hec)) assert.ok(Buffer.byteLength(r.body) <= 3_000);
    assert.deepEqual((hec.indexed[0] as { event: unknown }).event, batch[0]?.ecs);
  });

  it('fails non-retryably with a clear message on an invalid token, never showing a token', async () => {
    const wrong = 'deadbeef-0000-4000-8000-000000000000';
    const { sink, lines } = await setup({}, { token: wrong });
    const ack = await sink.write(events(2));
    assert.equal(ack.failed.length, 2);
    assert.ok(ack.failed.every((f) => !f.retryable && /code 4: invalid HEC token/.test(f.reason)));
    const health = await sink.healthcheck();
    assert.equal(health.ok, false);
    assert.match(health.detail, /code 4/);
    const output = JSON.stringify([ack, health, sink.metrics.snapshot(), lines]);
    assert.ok(!output.includes(wrong) && !output.includes(TOKEN));
  });

  it('fails non-retryably on an index the token may not write to', async () => {
    const { sink } = await setup({ allowedIndexes: ['main'] }, { index: 'secret_index' });
    const ack = await sink.write(events(1));
    assert.equal(ack.failed[0]?.retryable, false);
    assert.match(ack.failed[0]?.reason ?? '', /code 7: incorrect index/);
  });

  it('rejects only the event HEC names as invalid (code 6) and delivers the rest', async () => {
    const { hec, sink } = await setup();
    hec.server.faults.push({
      status: 400,
      body: JSON.stringify({ text: 'Invalid data format', code: 6, 'invalid-event-number': 1 }),
    });
    const batch = events(3);
    const ack = await sink.write(batch);
    assert.deepEqual(ack.acknowledged.sort(), [batch[0]?.key, batch[2]?.key].sort());
    assert.equal(ack.failed.length, 0);
    assert.deepEqual(ack.dropped, [{ key: batch[1]?.key, reason: 'invalid_data_format' }]);
    assert.equal(hec.indexed.length, 2);
  });

  it('retries server busy (code 9 / 503) and a 429 storm, then delivers', async () => {
    const { hec, sink } = await setup();
    hec.server.faults.push(
      { status: 503, body: JSON.stringify({ text: 'Server is busy', code: 9 }) },
      { status: 429, body: '', headers: { 'retry-after': '0' } },
      { status: 503, body: JSON.stringify({ text: 'Server is busy', code: 9 }) },
    );
    const ack = await sink.write(events(2));
    assert.equal(ack.acknowledged.length, 2);
    assert.equal(sink.metrics.retried, 6);
    assert.equal(hec.indexed.length, 2);
  });

  it('reports busy beyond its retries as retryable, and a slow answer is timed out and retried', async () => {
    const { hec, sink } = await setup({}, { timeoutMs: 100 });
    for (let i = 0; i < FAST_RETRY.maxAttempts; i++)
      hec.server.faults.push({ status: 503, body: JSON.stringify({ text: 'Server is busy', code: 9 }) });
    const busy = await sink.write(events(1));
    assert.ok(busy.failed[0]?.retryable);
    assert.match(busy.failed[0]?.reason ?? '', /busy/);
    hec.server.faults.push({ delayMs: 400 });
    const slow = await sink.write(events(1));
    assert.equal(slow.acknowledged.length, 1);
  });

  it('fails retryable while HEC is down and delivers once it is back', async () => {
    const { hec, sink } = await setup();
    await hec.server.down();
    const batch = events(2);
    const down = await sink.write(batch);
    assert.ok(down.failed.every((f) => f.retryable && /unreachable/.test(f.reason)));
    assert.equal((await sink.healthcheck()).ok, false);
    await hec.server.up();
    const back = await sink.write(batch);
    assert.equal(back.acknowledged.length, 2);
    assert.equal(hec.indexed.length, 2);
  });

  it('with indexer acknowledgement, acknowledges events only once their ackId is confirmed', async () => {
    const { hec, sink } = await setup({ useAck: true }, { useAck: true, maxRequestBytes: 2_000 });
    hec.confirmAfterPolls = 3;
    const batch = events(10);
    const ack = await sink.write(batch);
    assert.equal(ack.acknowledged.length, 10);
    assert.equal(hec.indexed.length, 10);
    const polls = hec.server.requests.filter((r) => r.path === '/services/collector/ack');
    assert.ok(polls.length >= 3);
    for (const r of [...polls, ...eventRequests(hec)])
      assert.equal(r.headers['x-splunk-request-channel'], sink.channel);
    assert.match(sink.channel, /^[0-9a-f-]{36}$/);
  });

  it('fails events retryable when the indexers do not confirm within the bounded wait', async () => {
    const { hec, sink } = await setup({ useAck: true }, { useAck: true, ackTimeoutMs: 60 });
    hec.confirmAfterPolls = Number.POSITIVE_INFINITY;
    const started = Date.now();
    const ack = await sink.write(events(2));
    assert.ok(Date.now() - started < 1_000);
    assert.equal(ack.acknowledged.length, 0);
    assert.ok(ack.failed.every((f) => f.retryable && /did not acknowledge/.test(f.reason)));
    assert.equal(hec.indexed.length, 0);
  });

  it('acknowledges on receipt, with a warning, when useAck is set but the token has ack off', async () => {
    const { sink, lines } = await setup({ useAck: false }, { useAck: true });
    const ack = await sink.write(events(2));
    assert.equal(ack.acknowledged.length, 2);
    assert.ok(lines.some((l) => l.includes('sink.splunk.no_ack_id')));
  });

  it('healthcheck reads /services/collector/health and checks the token without indexing anything', async () => {
    const { hec, sink } = await setup();
    assert.equal((await sink.healthcheck()).ok, true);
    assert.equal(hec.indexed.length, 0);
    hec.unhealthy = true;
    const sick = await sink.healthcheck();
    assert.equal(sick.ok, false);
    assert.match(sick.detail, /503/);
  });

  it('works over TLS with a CA bundle', async () => {
    const tls = testTls();
    const { sink } = await setup({ tls: tls.server }, { caFile: tls.caFile });
    assert.equal((await sink.write(events(1))).acknowledged.length, 1);
  });
});
