import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ElasticsearchError,
  ElasticsearchSink,
  type ElasticsearchSinkOptions,
  installIndexTemplate,
} from '../../src/sinks/elasticsearch.ts';
import { buildIndexTemplate, ecsProperties, indexPatternFor } from '../../src/sinks/index-template.ts';
import type { SinkEvent } from '../../src/sinks/types.ts';
import { ECS_FIELDS } from '../../src/trace/ecs-fields.ts';
import { event } from './helpers.ts';
import { FAST_RETRY } from './servers/base.ts';
import { captureLogger } from './servers/capture.ts';
import { type ElasticsearchServer, startElasticsearchServer } from './servers/elasticsearch-server.ts';
import { testTls } from './servers/tls.ts';

const API_KEY = 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==';
const PASSWORD = 'elastic-password-7c2f9a1b';
const INDEX = 'logs-microsoft.message_trace-default';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

async function setup(
  serverOptions: Parameters<typeof startElasticsearchServer>[0] = { auth: { apiKey: API_KEY } },
  sinkOptions: Partial<ElasticsearchSinkOptions> = {},
): Promise<{ es: ElasticsearchServer; sink: ElasticsearchSink; lines: string[] }> {
  const es = await startElasticsearchServer(serverOptions);
  const { logger, lines } = captureLogger();
  const sink = new ElasticsearchSink({
    url: es.url,
    auth: { kind: 'apiKey', apiKey: API_KEY },
    retry: FAST_RETRY,
    timeoutMs: 2_000,
    logger,
    ...sinkOptions,
  });
  cleanup.push(
    () => sink.close(),
    () => es.server.stop(),
  );
  return { es, sink, lines };
}

function events(n: number, prefix = 'e'): SinkEvent[] {
  return Array.from({ length: n }, (_, i) => event(`${prefix}${i}`));
}

const bulkRequests = (es: ElasticsearchServer) =>
  es.server.requests.filter((r) => r.path.startsWith('/_bulk'));

describe('Elasticsearch / OpenSearch sink', () => {
  it('bulk-creates ECS documents with _id = event key in the default data stream', async () => {
    const { es, sink } = await setup();
    const batch = events(3);
    const ack = await sink.write(batch);
    assert.deepEqual(
      ack.acknowledged,
      batch.map((e) => e.key),
    );
    const [request] = bulkRequests(es);
    assert.ok(request?.body.endsWith('\n'));
    const lines = (request?.body ?? '').trimEnd().split('\n');
    assert.equal(lines.length, 6);
    assert.deepEqual(JSON.parse(lines[0] ?? ''), { create: { _index: INDEX, _id: batch[0]?.key } });
    assert.deepEqual(JSON.parse(lines[1] ?? ''), batch[0]?.ecs);
    assert.equal(request?.headers['content-type'], 'application/x-ndjson');
    assert.equal(es.indices.get(INDEX)?.size, 3);
  });

  it('counts 409 (already stored) as acknowledged, so redelivery stores each (row, status) once', async () => {
    const { es, sink } = await setup();
    const batch = events(4);
    await sink.write(batch.slice(0, 2));
    const ack = await sink.write(batch);
    assert.equal(ack.acknowledged.length, 4);
    assert.equal(es.count(), 4);
    assert.equal(sink.alreadyStored, 2);
    // A status change is a different _id: a new document, not a conflict.
    const changed = event('e0', 'failed');
    assert.equal((await sink.write([changed])).acknowledged.length, 1);
    assert.equal(es.count(), 5);
  });

  it('handles partial failures inside a 200: retries item 429s, fails mapping errors non-retryable with a sample, bounds retries', async () => {
    const { es, sink, lines } = await setup();
    await sink.installIndexTemplate();
    const batch = events(5);
    const [ok, throttled, stuck, , alsoOk] = batch;
    const badIp = event('bad-ip');
    (badIp.ecs as unknown as { source: { ip: string } }).source = { ip: 'not-an-ip' };
    es.itemFaults.set(throttled?.key ?? '', [
      { status: 429, type: 'es_rejected_execution_exception' },
      { status: 429, type: 'es_rejected_execution_exception' },
    ]);
    es.itemFaults.set(
      stuck?.key ?? '',
      Array.from({ length: 10 }, () => ({ status: 503, type: 'unavailable_shards_exception' })),
    );
    const ack = await sink.write([...batch, badIp]);
    assert.ok(ack.acknowledged.includes(ok?.key ?? '') && ack.acknowledged.includes(alsoOk?.key ?? ''));
    assert.ok(ack.acknowledged.includes(throttled?.key ?? ''));
    assert.equal(ack.acknowledged.length, 4);
    // A mapping error is the cluster's configuration, not the event's fault: kept owed, never dropped.
    assert.deepEqual(ack.dropped, []);
    assert.equal(ack.failed.length, 2);
    const failedBadIp = ack.failed.find((f) => f.key === badIp.key);
    assert.equal(failedBadIp?.retryable, false);
    assert.match(failedBadIp?.reason ?? '', /400 document_parsing_exception/);
    const failedStuck = ack.failed.find((f) => f.key === stuck?.key);
    assert.equal(failedStuck?.retryable, true);
    // Only the failing items were sent again, a bounded number of times.
    assert.equal(bulkRequests(es).length, FAST_RETRY.maxAttempts);
    const lastBody = bulkRequests(es).at(-1)?.body ?? '';
    assert.equal(lastBody.trimEnd().split('\n').length, 2);
    const snapshot = sink.metrics.snapshot();
    assert.deepEqual(snapshot.dropped, {});
    assert.equal(snapshot.retried, 2 + (FAST_RETRY.maxAttempts - 1));
    const sample = sink.rejectionSamples.get('document_parsing_exception');
    assert.equal(sample?.key, badIp.key);
    assert.match(sample?.error ?? '', /source\.ip/);
    assert.ok(lines.some((l) => l.includes('sink.elasticsearch.rejected')));
    // The stuck one is delivered by a later write once the shard is back.
    es.itemFaults.delete(stuck?.key ?? '');
    assert.deepEqual((await sink.write([stuck as SinkEvent])).acknowledged, [stuck?.key]);
  });

  it('rides out a 429 storm and 503s on the whole request, and times out a slow answer', async () => {
    const { es, sink } = await setup(undefined, { timeoutMs: 100 });
    es.server.faults.push(
      { status: 429, body: '{}', headers: { 'retry-after': '0' } },
      { status: 503, body: '{}' },
      { delayMs: 400 },
    );
    const ack = await sink.write(events(2));
    assert.equal(ack.acknowledged.length, 2);
    assert.equal(sink.metrics.retried, 6);
  });

  it('fails retryable while the cluster is down and delivers once it is back', async () => {
    const { es, sink } = await setup();
    await es.server.down();
    const batch = events(3);
    const down = await sink.write(batch);
    assert.ok(down.failed.length === 3 && down.failed.every((f) => f.retryable));
    assert.equal((await sink.healthcheck()).ok, false);
    await es.server.up();
    assert.equal((await sink.write(batch)).acknowledged.length, 3);
    assert.equal(es.count(), 3);
  });

  it('halves a request the cluster refuses as too large', async () => {
    const { es, sink } = await setup();
    es.server.faults.push({ status: 413, body: '' });
    const ack = await sink.write(events(6));
    assert.equal(ack.acknowledged.length, 6);
    assert.equal(bulkRequests(es).length, 3);
  });

  it('drops a document only when it alone is over the cluster request limit (413 on one document)', async () => {
    const { es, sink } = await setup();
    es.server.faults.push({ status: 413, body: '' }, { status: 413, body: '' }, { status: 413, body: '' });
    const ack = await sink.write(events(2));
    assert.deepEqual(ack.acknowledged, []);
    assert.deepEqual(
      ack.dropped.map((d) => d.reason),
      ['too_large', 'too_large'],
    );
    assert.equal(es.count(), 0);
  });

  it('a missing ingest pipeline fails every document non-retryable (kept owed) and fails the healthcheck', async () => {
    const { es, sink } = await setup(undefined, { pipeline: 'enrich-mail' });
    const batch = events(3);
    const ack = await sink.write(batch);
    assert.deepEqual(ack.acknowledged, []);
    assert.deepEqual(ack.dropped, []);
    assert.equal(ack.failed.length, 3);
    assert.ok(ack.failed.every((f) => !f.retryable && /pipeline with id \[enrich-mail\] does not exist/.test(f.reason)));
    const health = await sink.healthcheck();
    assert.equal(health.ok, false);
    assert.match(health.detail, /ingest pipeline enrich-mail does not exist/);
    // Fixed on the cluster: the same events are delivered, once.
    es.pipelines.set('enrich-mail', { processors: [] });
    assert.deepEqual((await sink.write(batch)).acknowledged.length, 3);
    assert.match((await sink.healthcheck()).detail, /ingest pipeline enrich-mail exists/);
    assert.equal(es.count(), 3);
  });

  it('splits batches by size, targets a custom index and pipeline', async () => {
    const { es, sink } = await setup(undefined, {
      index: 'mail-traces',
      pipeline: 'geo ip',
      maxRequestBytes: 4_000,
    });
    es.pipelines.set('geo ip', { processors: [] });
    const ack = await sink.write(events(12));
    assert.equal(ack.acknowledged.length, 12);
    assert.ok(bulkRequests(es).length >= 3);
    assert.ok(bulkRequests(es).every((r) => r.path === '/_bulk?pipeline=geo%20ip'));
    assert.equal(es.indices.get('mail-traces')?.size, 12);
  });

  it('authenticates with basic auth; wrong credentials fail non-retryably and never appear in output', async () => {
    const good = await setup(
      { auth: { username: 'mailtrace', password: PASSWORD } },
      { auth: { kind: 'basic', username: 'mailtrace', password: PASSWORD } },
    );
    assert.equal((await good.sink.write(events(1))).acknowledged.length, 1);
    const wrongPassword = 'wrong-password-123456';
    const bad = await setup(
      { auth: { username: 'mailtrace', password: PASSWORD } },
      { auth: { kind: 'basic', username: 'mailtrace', password: wrongPassword } },
    );
    const ack = await bad.sink.write(events(1));
    assert.equal(ack.failed[0]?.retryable, false);
    assert.match(ack.failed[0]?.reason ?? '', /401/);
    const health = await bad.sink.healthcheck();
    assert.equal(health.ok, false);
    const badKey = await setup(undefined, {
      auth: { kind: 'apiKey', apiKey: 'd3Jvbmcta2V5LWlkOndyb25nLXNlY3JldA==' },
    });
    const keyAck = await badKey.sink.write(events(1));
    const output = JSON.stringify([
      ack,
      health,
      keyAck,
      bad.lines,
      badKey.lines,
      bad.sink.metrics.snapshot(),
    ]);
    for (const secret of [PASSWORD, wrongPassword, API_KEY, 'd3Jvbmcta2V5LWlkOndyb25nLXNlY3JldA=='])
      assert.ok(!output.includes(secret), 'a secret leaked into the output');
  });

  it('healthcheck reads cluster info, and a least-privilege key (403 on GET /) is still healthy', async () => {
    const { sink } = await setup();
    const health = await sink.healthcheck();
    assert.equal(health.ok, true);
    assert.match(health.detail, /Elasticsearch 8\.17\.0 cluster test-cluster/);
    const limited = await setup({ auth: { apiKey: API_KEY }, clusterInfoForbidden: true });
    assert.equal((await limited.sink.healthcheck()).ok, true);
  });

  it('installs an index template whose mapping is ECS_FIELDS, for the data stream pattern', async () => {
    const { es, sink } = await setup();
    const name = await installIndexTemplate({ url: es.url, auth: { kind: 'apiKey', apiKey: API_KEY } });
    const body = es.templates.get(name) as ReturnType<typeof buildIndexTemplate>['body'];
    assert.deepEqual(body.index_patterns, ['logs-microsoft.message_trace-*']);
    assert.deepEqual(body.data_stream, {});
    const props = body.template.mappings.properties as Record<
      string,
      { properties: Record<string, { type: string }> }
    >;
    assert.equal(props.source?.properties.ip?.type, 'ip');
    assert.equal(props.network?.properties.bytes?.type, 'long');
    // After install, documents still validate: the emitted ECS fits the template.
    assert.equal((await sink.write(events(2))).acknowledged.length, 2);
    const noKey = new ElasticsearchSink({ url: es.url, retry: FAST_RETRY });
    cleanup.push(() => noKey.close());
    await assert.rejects(noKey.installIndexTemplate(), ElasticsearchError);
  });

  it('works over TLS with a CA bundle', async () => {
    const tls = testTls();
    const { sink } = await setup({ auth: { apiKey: API_KEY }, tls: tls.server }, { caFile: tls.caFile });
    assert.equal((await sink.write(events(1))).acknowledged.length, 1);
  });
});

describe('index template', () => {
  it('maps every ECS field with its declared type', () => {
    const props = ecsProperties();
    for (const [path, spec] of Object.entries(ECS_FIELDS)) {
      let node: unknown = { properties: props };
      for (const part of path.split('.'))
        node = (node as { properties: Record<string, unknown> }).properties[part];
      assert.equal((node as { type: string }).type, spec.type, path);
    }
  });

  it('uses OpenSearch types for the opensearch flavor and no data stream for a plain index', () => {
    const template = buildIndexTemplate({ index: 'mail-traces', flavor: 'opensearch' });
    assert.deepEqual(template.body.index_patterns, ['mail-traces']);
    assert.equal(template.body.data_stream, undefined);
    const text = JSON.stringify(template.body);
    assert.ok(!text.includes('match_only_text') && !text.includes('constant_keyword'));
    assert.equal(indexPatternFor('logs-microsoft.message_trace-prod'), 'logs-microsoft.message_trace-*');
  });
});
