import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SekoiaSink, type SekoiaSinkOptions } from '../../src/sinks/sekoia.ts';
import type { SinkEvent } from '../../src/sinks/types.ts';
import { parseTraceRow } from '../../src/trace/model.ts';
import { event } from './helpers.ts';
import { FAST_RETRY } from './servers/base.ts';
import { captureLogger } from './servers/capture.ts';
import { type SekoiaServer, startSekoiaServer } from './servers/sekoia-server.ts';
import { testTls } from './servers/tls.ts';

const INTAKE_KEY = 'sekoia-intake-key-9f3b2c1d7e6a';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function setup(
  serverOptions: Partial<Parameters<typeof startSekoiaServer>[0]> = {},
  sinkOptions: Partial<SekoiaSinkOptions> = {},
): Promise<{ intake: SekoiaServer; sink: SekoiaSink; lines: string[] }> {
  const intake = await startSekoiaServer({ intakeKey: INTAKE_KEY, ...serverOptions });
  const { logger, lines } = captureLogger();
  const sink = new SekoiaSink({
    intakeKey: INTAKE_KEY,
    intakeServer: intake.url,
    retry: FAST_RETRY,
    timeoutMs: 2_000,
    logger,
    ...sinkOptions,
  });
  cleanup.push(
    () => sink.close(),
    () => intake.server.stop(),
  );
  return { intake, sink, lines };
}

function events(n: number, prefix = 'm'): SinkEvent[] {
  return Array.from({ length: n }, (_, i) => event(`${prefix}${i}`));
}

describe('Sekoia.io intake sink', () => {
  it('posts the raw Graph rows as JSON strings to {intakeServer}/batch and acknowledges them', async () => {
    const { intake, sink } = await setup({ prefix: '/api/v1/intake-http' });
    const batch = events(3);
    const ack = await sink.write(batch);
    assert.deepEqual(
      ack.acknowledged,
      batch.map((e) => e.key),
    );
    assert.deepEqual(ack.failed, []);
    assert.deepEqual(
      intake.events,
      batch.map((e) => e.row),
    );
    const request = intake.server.requests[0];
    assert.equal(request?.path, '/api/v1/intake-http/batch');
    const body = JSON.parse(request?.body ?? '{}') as { intake_key: string; jsons: string[] };
    assert.equal(body.intake_key, INTAKE_KEY);
    assert.equal(typeof body.jsons[0], 'string');
    assert.deepEqual(sink.metrics.snapshot(), {
      sent: 3,
      acknowledged: 3,
      failed: 0,
      retried: 0,
      dropped: {},
    });
  });

  it("forwards Graph's object as Graph sent it: a null subject or IP stays null", async () => {
    const { intake, sink } = await setup();
    const fromGraph = { ...event('nulls').row, subject: null, fromIP: null, toIP: null };
    const working = parseTraceRow(fromGraph);
    assert.equal(working.subject, '', 'the collector works on a normalized copy');
    const ack = await sink.write([{ ...event('nulls'), row: working }]);
    assert.equal(ack.acknowledged.length, 1);
    assert.deepEqual(intake.events, [fromGraph]);
  });

  it('splits a batch into requests under the size limit and drops events over the event limit', async () => {
    const { intake, sink } = await setup(
      { maxRequestBytes: 2_000 },
      { maxRequestBytes: 2_000, maxEventBytes: 600 },
    );
    const batch = events(30);
    const huge = event('huge');
    huge.row = { ...huge.row, subject: 'x'.repeat(700) };
    const ack = await sink.write([...batch, huge]);
    assert.equal(ack.acknowledged.length, 30);
    assert.deepEqual(ack.dropped, [{ key: huge.key, reason: 'too_large' }]);
    assert.ok(
      intake.server.requests.length >= 3,
      `expected several requests, got ${intake.server.requests.length}`,
    );
    for (const r of intake.server.requests) assert.ok(Buffer.byteLength(r.body) <= 2_000);
    assert.equal(intake.events.length, 30);
    assert.deepEqual(sink.metrics.snapshot().dropped, { too_large: 1 });
  });

  it('halves a request the intake refuses as too large (its limit lower than ours)', async () => {
    const { intake, sink } = await setup({ maxRequestBytes: 1_500 });
    const batch = events(10);
    const ack = await sink.write(batch);
    assert.equal(ack.acknowledged.length, 10);
    assert.equal(intake.events.length, 10);
    assert.ok(intake.server.requests.some((r) => r.path === '/batch') && intake.server.requests.length > 2);
  });

  it('rides out a 429 storm honouring Retry-After and counts the retries', async () => {
    const { intake, sink } = await setup();
    for (let i = 0; i < 3; i++)
      intake.server.faults.push({
        status: 429,
        body: '{"message":"Too Many Requests"}',
        headers: { 'retry-after': '0' },
      });
    const ack = await sink.write(events(2));
    assert.equal(ack.acknowledged.length, 2);
    assert.equal(intake.server.requests.length, 4);
    // Three retries of a two-event request: six events sent again.
    assert.equal(sink.metrics.retried, 6);
  });

  it('reports 503s that outlast its retries as retryable, then delivers on the next write', async () => {
    const { intake, sink } = await setup();
    for (let i = 0; i < FAST_RETRY.maxAttempts; i++) intake.server.faults.push({ status: 503, body: 'busy' });
    const batch = events(2);
    const first = await sink.write(batch);
    assert.equal(first.acknowledged.length, 0);
    assert.equal(first.failed.length, 2);
    assert.ok(first.failed.every((f) => f.retryable && f.reason.includes('503')));
    const second = await sink.write(batch);
    assert.equal(second.acknowledged.length, 2);
    assert.equal(intake.events.length, 2);
    const m = sink.metrics.snapshot();
    assert.equal(m.failed, 2);
    assert.equal(m.acknowledged, 2);
    assert.equal(m.retried, 2 * (FAST_RETRY.maxAttempts - 1) + 2);
  });

  it('times out a slow answer and retries it', async () => {
    const { intake, sink } = await setup({}, { timeoutMs: 100 });
    intake.server.faults.push({ delayMs: 400 });
    const ack = await sink.write(events(1));
    assert.equal(ack.acknowledged.length, 1);
    assert.equal(sink.metrics.retried, 1);
  });

  it('fails retryable while the intake is down and delivers once it is back', async () => {
    const { intake, sink } = await setup();
    await intake.server.down();
    const batch = events(3);
    const whileDown = await sink.write(batch);
    assert.equal(whileDown.failed.length, 3);
    assert.ok(whileDown.failed.every((f) => f.retryable && /unreachable/.test(f.reason)));
    assert.equal((await sink.healthcheck()).ok, false);
    await intake.server.up();
    const back = await sink.write(batch);
    assert.equal(back.acknowledged.length, 3);
    assert.equal(intake.events.length, 3);
    assert.equal((await sink.healthcheck()).ok, true);
  });

  it('treats an answer with fewer event ids than events as a retryable failure, not a success', async () => {
    const { intake, sink } = await setup();
    intake.server.faults.push({ status: 200, body: '{"event_ids":["only-one"]}' });
    const ack = await sink.write(events(2));
    assert.equal(ack.acknowledged.length, 0);
    assert.ok(ack.failed.every((f) => f.retryable && f.reason.includes('accepted 1 of 2')));
  });

  it('fails non-retryably with a clear message on a wrong intake key, and never shows the key', async () => {
    const wrongKey = 'wrong-intake-key-0a1b2c3d4e5f';
    const { sink, lines } = await setup({}, { intakeKey: wrongKey });
    const ack = await sink.write(events(2));
    assert.equal(ack.failed.length, 2);
    assert.ok(ack.failed.every((f) => !f.retryable && f.reason.includes('intake key')));
    const health = await sink.healthcheck();
    assert.equal(health.ok, false);
    assert.match(health.detail, /401/);
    const output = JSON.stringify([ack, health, sink.metrics.snapshot(), lines]);
    assert.ok(!output.includes(wrongKey));
    assert.ok(!output.includes(INTAKE_KEY));
  });

  it('healthcheck posts an empty batch with the intake key', async () => {
    const { intake, sink } = await setup();
    const health = await sink.healthcheck();
    assert.equal(health.ok, true);
    assert.deepEqual(JSON.parse(intake.server.requests[0]?.body ?? ''), {
      intake_key: INTAKE_KEY,
      jsons: [],
    });
    assert.equal(intake.events.length, 0);
  });

  it('trusts a CA bundle, refuses an unknown CA, and skips verification only when insecure (with a warning)', async () => {
    const tls = testTls();
    const trusted = await setup({ tls: tls.server }, { caFile: tls.caFile });
    assert.equal((await trusted.sink.write(events(1))).acknowledged.length, 1);

    const untrusted = await setup({ tls: tls.server });
    const refused = await untrusted.sink.write(events(1));
    assert.equal(refused.failed.length, 1);
    assert.match(refused.failed[0]?.reason ?? '', /certificate|self.signed|CERT/i);

    const insecure = await setup({ tls: tls.server }, { insecure: true });
    assert.equal((await insecure.sink.write(events(1))).acknowledged.length, 1);
    assert.ok(insecure.lines.some((l) => l.includes('sink.tls.insecure') && l.includes('"warn"')));
    assert.ok(!trusted.lines.some((l) => l.includes('sink.tls.insecure')));
  });

  it('fails every event of a write after close', async () => {
    const { sink } = await setup();
    await sink.close();
    const ack = await sink.write(events(1));
    assert.equal(ack.failed[0]?.retryable, false);
  });
});
