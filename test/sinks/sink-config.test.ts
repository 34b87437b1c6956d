import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { redactString } from '../../src/graph/redact.ts';
import { createSink, parseSinkConfig, parseSinksConfig, SinkConfigError } from '../../src/sinks/config.ts';
import { ElasticsearchSink } from '../../src/sinks/elasticsearch.ts';
import { deliver } from '../../src/sinks/fanout.ts';
import { SekoiaSink } from '../../src/sinks/sekoia.ts';
import { SplunkHecSink } from '../../src/sinks/splunk-hec.ts';
import { event } from './helpers.ts';
import { FAST_RETRY } from './servers/base.ts';
import { startElasticsearchServer } from './servers/elasticsearch-server.ts';
import { startSekoiaServer } from './servers/sekoia-server.ts';
import { startSplunkServer } from './servers/splunk-server.ts';

const env = {
  SEKOIA_KEY: 'sekoia-config-key-5d1e2f3a',
  HEC_TOKEN: '0d3c2b1a-aaaa-4bbb-8ccc-123456789abc',
  ES_API_KEY: 'ZXMta2V5LWlkOmVzLWtleS1zZWNyZXQ=',
};
const dir = mkdtempSync(join(tmpdir(), 'mailtrace-sink-config-'));
writeFileSync(join(dir, 'es-password'), 'file-password-9e8d7c6b\n');

function rejects(raw: unknown, key: string, message: RegExp): void {
  assert.throws(
    () => parseSinkConfig(raw, { env, baseDir: dir }, 'sinks[0]'),
    (error: unknown) => {
      assert.ok(error instanceof SinkConfigError, String(error));
      assert.equal(error.key, key);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('sink configuration', () => {
  it('parses the three sink types with secrets from env or file', () => {
    const configs = parseSinksConfig(
      [
        { type: 'sekoia', intakeKeyEnv: 'SEKOIA_KEY' },
        {
          type: 'splunk-hec',
          url: 'https://splunk.example.com:8088/',
          tokenEnv: 'HEC_TOKEN',
          index: 'o365',
          useAck: true,
          ackTimeoutMs: 30000,
          eventFormat: 'ecs',
        },
        { type: 'elasticsearch', url: 'https://es.example.com:9200', apiKeyEnv: 'ES_API_KEY' },
        {
          type: 'elasticsearch',
          name: 'opensearch',
          url: 'http://localhost:9200',
          username: 'mailtrace',
          passwordFile: 'es-password',
          insecure: true,
        },
      ],
      { env, baseDir: dir },
    );
    assert.deepEqual(
      configs.map((c) => c.type),
      ['sekoia', 'splunk-hec', 'elasticsearch', 'elasticsearch'],
    );
    const [sekoia, splunk, es, os] = configs;
    assert.equal(sekoia?.type === 'sekoia' && sekoia.options.intakeKey, env.SEKOIA_KEY);
    assert.equal(splunk?.type === 'splunk-hec' && splunk.options.url, 'https://splunk.example.com:8088');
    assert.equal(splunk?.type === 'splunk-hec' && splunk.options.useAck, true);
    assert.deepEqual(es?.type === 'elasticsearch' && es.options.auth, {
      kind: 'apiKey',
      apiKey: env.ES_API_KEY,
    });
    assert.deepEqual(os?.type === 'elasticsearch' && os.options.auth, {
      kind: 'basic',
      username: 'mailtrace',
      password: 'file-password-9e8d7c6b',
    });
    // Parsing registered every secret: redaction now scrubs them wherever they appear.
    const text = redactString(`${env.SEKOIA_KEY} ${env.HEC_TOKEN} file-password-9e8d7c6b`);
    assert.ok(
      !text.includes(env.SEKOIA_KEY) && !text.includes(env.HEC_TOKEN) && !text.includes('file-password'),
    );
  });

  it('builds the sink each config describes', async () => {
    const sinks = parseSinksConfig(
      [
        { type: 'sekoia', intakeKeyEnv: 'SEKOIA_KEY' },
        { type: 'splunk-hec', url: 'https://splunk.example.com:8088', tokenEnv: 'HEC_TOKEN' },
        { type: 'elasticsearch', url: 'https://es.example.com:9200' },
      ],
      { env },
    ).map((c) => createSink(c));
    assert.ok(sinks[0] instanceof SekoiaSink);
    assert.ok(sinks[1] instanceof SplunkHecSink);
    assert.ok(sinks[2] instanceof ElasticsearchSink);
    assert.deepEqual(
      sinks.map((s) => s.name),
      ['sekoia', 'splunk', 'elasticsearch'],
    );
    for (const sink of sinks) await sink.close();
  });

  it('names the offending key in every error', () => {
    rejects({ type: 'kafka' }, 'sinks[0].type', /unknown sink type "kafka"/);
    rejects(
      { type: 'sekoia', intakeKey: 'inline' },
      'sinks[0].intakeKey',
      /not accepted inline.*intakeKeyEnv/,
    );
    rejects({ type: 'sekoia', intakeKeyEnv: 'SEKOIA_KEY', color: 'red' }, 'sinks[0].color', /unknown key/);
    rejects({ type: 'sekoia' }, 'sinks[0].intakeKey', /no secret configured/);
    rejects({ type: 'sekoia', intakeKeyEnv: 'NOT_SET' }, 'sinks[0].intakeKeyEnv', /NOT_SET is not set/);
    rejects(
      { type: 'sekoia', intakeKeyEnv: 'SEKOIA_KEY', intakeServer: 'http://intake.example.com' },
      'sinks[0].intakeServer',
      /not https/,
    );
    rejects({ type: 'splunk-hec', tokenEnv: 'HEC_TOKEN' }, 'sinks[0].url', /is missing/);
    // Elasticsearch would refuse every document of these names, one by one, inside a 200.
    for (const [index, why] of [
      ['Logs-Mail', /must be lowercase/],
      ['logs mail', /must not contain " "/],
      ['_mail', /must not start with/],
      ['..', /must not be \. or \.\./],
      ['a'.repeat(256), /at most 255 bytes/],
    ] as const)
      rejects({ type: 'elasticsearch', url: 'https://es:9200', index }, 'sinks[0].index', why);
    rejects(
      { type: 'splunk-hec', url: 'https://s:8088', tokenEnv: 'HEC_TOKEN', eventFormat: 'xml' },
      'sinks[0].eventFormat',
      /not a format/,
    );
    rejects(
      { type: 'splunk-hec', url: 'https://s:8088', tokenEnv: 'HEC_TOKEN', useAck: 'yes' },
      'sinks[0].useAck',
      /true or false/,
    );
    rejects(
      { type: 'splunk-hec', url: 'https://s:8088', tokenEnv: 'HEC_TOKEN', ackTimeoutMs: -1 },
      'sinks[0].ackTimeoutMs',
      /positive integer/,
    );
    rejects(
      { type: 'elasticsearch', url: 'https://es:9200', apiKeyEnv: 'ES_API_KEY', username: 'u' },
      'sinks[0]',
      /both an API key and a username/,
    );
    rejects(
      { type: 'elasticsearch', url: 'https://es:9200', passwordFile: 'es-password' },
      'sinks[0].username',
      /is missing/,
    );
    rejects(
      { type: 'elasticsearch', url: 'https://user:pw@es:9200' },
      'sinks[0].url',
      /credentials in the URL/,
    );
    rejects(
      { type: 'elasticsearch', url: 'https://es:9200', caFile: 'missing.pem' },
      'sinks[0].caFile',
      /cannot read/,
    );
  });

  it('rejects two sinks with the same name', () => {
    assert.throws(
      () =>
        parseSinksConfig(
          [
            { type: 'elasticsearch', url: 'https://a:9200' },
            { type: 'elasticsearch', url: 'https://b:9200' },
          ],
          { env },
        ),
      (error: unknown) => error instanceof SinkConfigError && error.key === 'sinks[1].name',
    );
  });
});

describe('SIEM sinks behind the fan-out', () => {
  it('a sink that is down keeps owing its events; the others are not handed duplicates', async () => {
    const sekoia = await startSekoiaServer({ intakeKey: env.SEKOIA_KEY });
    const splunk = await startSplunkServer({ token: env.HEC_TOKEN, useAck: true });
    const es = await startElasticsearchServer();
    const common = { retry: FAST_RETRY, timeoutMs: 2_000 };
    const sinks = parseSinksConfig(
      [
        { type: 'sekoia', intakeKeyEnv: 'SEKOIA_KEY', intakeServer: sekoia.url },
        { type: 'splunk-hec', url: splunk.url, tokenEnv: 'HEC_TOKEN', useAck: true, ackPollIntervalMs: 5 },
        { type: 'elasticsearch', url: es.url },
      ],
      { env },
    ).map((c) => createSink({ ...c, options: { ...c.options, ...common } } as typeof c));
    try {
      await es.server.down();
      const batch = Array.from({ length: 5 }, (_, i) => event(`f${i}`));
      const names = sinks.map((s) => s.name);
      const first = await deliver(
        sinks,
        batch.map((e) => ({ event: e, sinks: names })),
      );
      assert.equal(first.settled.length, 0);
      assert.ok([...first.remaining.values()].every((owing) => owing.join() === 'elasticsearch'));
      await es.server.up();
      const second = await deliver(
        sinks,
        batch.map((e) => ({ event: e, sinks: first.remaining.get(e.key) ?? [] })),
      );
      assert.equal(second.settled.length, 5);
      assert.equal(sekoia.events.length, 5);
      assert.equal(splunk.indexed.length, 5);
      assert.equal(es.count(), 5);
    } finally {
      for (const sink of sinks) await sink.close();
      await Promise.all([sekoia.server.stop(), splunk.server.stop(), es.server.stop()]);
    }
  });
});
