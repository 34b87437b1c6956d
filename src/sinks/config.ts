// The "sinks" section of a mailtrace config file: parsed and validated here, with errors that name the key and
// say what to fix. Secrets (intake key, HEC token, API key, password) are referenced, never inline: by an
// environment variable (…Env) or a file readable only by the service (…File), as for tenant credentials.

import type { Logger } from '../graph/types.ts';
import { type Raw, Reader, type SinkConfigContext, SinkConfigError } from './config-reader.ts';
import { type ElasticsearchAuth, ElasticsearchSink, type ElasticsearchSinkOptions } from './elasticsearch.ts';
import { indexNameProblem } from './elasticsearch-bulk.ts';
import { SekoiaSink, type SekoiaSinkOptions } from './sekoia.ts';
import { SplunkHecSink, type SplunkHecSinkOptions } from './splunk-hec.ts';
import type { Sink } from './types.ts';

export { type SinkConfigContext, SinkConfigError };

export type SinkConfig =
  | { type: 'sekoia'; options: SekoiaSinkOptions }
  | { type: 'splunk-hec'; options: SplunkHecSinkOptions }
  | { type: 'elasticsearch'; options: ElasticsearchSinkOptions };

export const SINK_TYPES = ['sekoia', 'splunk-hec', 'elasticsearch'] as const;

const COMMON_KEYS = ['type', 'name', 'caFile', 'insecure', 'timeoutMs'];
const KEYS: Record<(typeof SINK_TYPES)[number], string[]> = {
  sekoia: ['intakeServer', 'intakeKeyEnv', 'intakeKeyFile', 'maxRequestBytes'],
  'splunk-hec': [
    'url',
    'tokenEnv',
    'tokenFile',
    'index',
    'host',
    'source',
    'sourcetype',
    'eventFormat',
    'useAck',
    'ackTimeoutMs',
    'ackPollIntervalMs',
    'maxRequestBytes',
  ],
  elasticsearch: [
    'url',
    'index',
    'pipeline',
    'apiKeyEnv',
    'apiKeyFile',
    'username',
    'passwordEnv',
    'passwordFile',
    'maxRequestBytes',
  ],
};
const INLINE_SECRETS: Record<string, string> = {
  intakeKey: 'intakeKeyEnv or intakeKeyFile',
  token: 'tokenEnv or tokenFile',
  apiKey: 'apiKeyEnv or apiKeyFile',
  password: 'passwordEnv or passwordFile',
};

/** Validates the `sinks` array; names default to the type and must be unique. */
export function parseSinksConfig(
  raw: unknown,
  context: SinkConfigContext = {},
  where = 'sinks',
): SinkConfig[] {
  if (!Array.isArray(raw))
    throw new SinkConfigError(where, 'expected an array', 'e.g. "sinks": [{"type": "sekoia", …}]');
  const configs = raw.map((entry, i) => parseSinkConfig(entry, context, `${where}[${i}]`));
  const seen = new Set<string>();
  for (const [i, config] of configs.entries()) {
    const name = config.options.name ?? config.type;
    if (seen.has(name))
      throw new SinkConfigError(
        `${where}[${i}].name`,
        `duplicate sink name '${name}'`,
        'give each sink its own name',
      );
    seen.add(name);
  }
  return configs;
}

export function parseSinkConfig(raw: unknown, context: SinkConfigContext = {}, where = 'sink'): SinkConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SinkConfigError(
      where,
      'expected an object',
      'each sink is {"type": "sekoia" | "splunk-hec" | "elasticsearch", …}',
    );
  const entry = raw as Raw;
  const type = entry.type;
  if (typeof type !== 'string' || !(SINK_TYPES as readonly string[]).includes(type))
    throw new SinkConfigError(
      `${where}.type`,
      `unknown sink type ${JSON.stringify(type)}`,
      `use one of ${SINK_TYPES.join(', ')}`,
    );
  const sinkType = type as (typeof SINK_TYPES)[number];
  const known = new Set([...COMMON_KEYS, ...KEYS[sinkType]]);
  for (const key of Object.keys(entry)) {
    if (INLINE_SECRETS[key] !== undefined && !known.has(key))
      throw new SinkConfigError(
        `${where}.${key}`,
        'secrets are not accepted inline in a config file',
        `use ${INLINE_SECRETS[key]}`,
      );
    if (!known.has(key))
      throw new SinkConfigError(
        `${where}.${key}`,
        'unknown key',
        `valid keys for ${sinkType}: ${[...known].join(', ')}`,
      );
  }
  const r = new Reader(entry, where, context);
  const common = {
    name: r.string('name'),
    caFile: r.file('caFile'),
    insecure: r.boolean('insecure'),
    timeoutMs: r.positive('timeoutMs'),
  };
  if (sinkType === 'sekoia') {
    return {
      type: 'sekoia',
      options: {
        ...common,
        intakeKey: r.secret('intakeKey', 'the intake key shown on the intake page in Sekoia.io'),
        intakeServer: r.url('intakeServer'),
        maxRequestBytes: r.positive('maxRequestBytes'),
      },
    };
  }
  if (sinkType === 'splunk-hec') {
    const eventFormat = r.string('eventFormat');
    if (eventFormat !== undefined && eventFormat !== 'raw' && eventFormat !== 'ecs')
      throw new SinkConfigError(
        `${where}.eventFormat`,
        `'${eventFormat}' is not a format`,
        'use raw (the Graph row) or ecs',
      );
    return {
      type: 'splunk-hec',
      options: {
        ...common,
        url: r.requiredUrl('url', 'the HEC base URL, e.g. https://splunk.example.com:8088'),
        token: r.secret('token', 'the HEC token value (a GUID)'),
        index: r.string('index'),
        host: r.string('host'),
        source: r.string('source'),
        sourcetype: r.string('sourcetype'),
        eventFormat,
        useAck: r.boolean('useAck'),
        ackTimeoutMs: r.positive('ackTimeoutMs'),
        ackPollIntervalMs: r.positive('ackPollIntervalMs'),
        maxRequestBytes: r.positive('maxRequestBytes'),
      },
    };
  }
  return {
    type: 'elasticsearch',
    options: {
      ...common,
      url: r.requiredUrl('url', 'the cluster URL, e.g. https://es.example.com:9200'),
      index: elasticsearchIndex(r, where),
      pipeline: r.string('pipeline'),
      auth: elasticsearchAuth(r, entry, where),
      maxRequestBytes: r.positive('maxRequestBytes'),
    },
  };
}

function elasticsearchIndex(r: Reader, where: string): string | undefined {
  const index = r.string('index');
  const problem = index === undefined ? undefined : indexNameProblem(index);
  if (problem !== undefined)
    throw new SinkConfigError(
      `${where}.index`,
      `${JSON.stringify(index)} ${problem}, so Elasticsearch would refuse every document`,
      'use a lowercase data stream name such as logs-microsoft.message_trace-default',
    );
  return index;
}

function elasticsearchAuth(r: Reader, entry: Raw, where: string): ElasticsearchAuth {
  const hasKey = entry.apiKeyEnv !== undefined || entry.apiKeyFile !== undefined;
  const hasBasic =
    entry.username !== undefined || entry.passwordEnv !== undefined || entry.passwordFile !== undefined;
  if (hasKey && hasBasic)
    throw new SinkConfigError(
      where,
      'both an API key and a username/password',
      'choose one: apiKeyEnv/apiKeyFile, or username + passwordEnv/passwordFile',
    );
  if (hasKey)
    return { kind: 'apiKey', apiKey: r.secret('apiKey', 'the encoded API key (base64 of id:api_key)') };
  if (hasBasic) {
    const username = r.string('username');
    if (username === undefined)
      throw new SinkConfigError(
        `${where}.username`,
        'is missing',
        'basic auth needs username with passwordEnv or passwordFile',
      );
    return { kind: 'basic', username, password: r.secret('password', 'the user’s password') };
  }
  return { kind: 'none' };
}

/** Builds the sink a config describes. */
export function createSink(config: SinkConfig, logger?: Logger): Sink {
  const withLogger = logger ? { logger } : {};
  switch (config.type) {
    case 'sekoia':
      return new SekoiaSink({ ...config.options, ...withLogger });
    case 'splunk-hec':
      return new SplunkHecSink({ ...config.options, ...withLogger });
    case 'elasticsearch':
      return new ElasticsearchSink({ ...config.options, ...withLogger });
  }
}
