// `mailtrace sinks check`: one real request to every sink of the config (what doctor does, without a tenant).
// `mailtrace sinks install-template`: PUTs the index template matching mailtrace's ECS documents into each
// Elasticsearch/OpenSearch sink, so that the data stream gets the right field types before the first event.
import { createLogger } from '../../graph/logger.ts';
import { ElasticsearchError, ElasticsearchSink } from '../../sinks/elasticsearch.ts';
import type { SearchFlavor } from '../../sinks/index-template.ts';
import type { SinkConfig } from '../collect-config.ts';
import { buildConfiguredSink, sinkName } from '../collect-session.ts';
import { type Command, type CommandContext, OUTPUT_OPTION_HELP, OUTPUT_OPTIONS } from '../command.ts';
import type { MailtraceConfig } from '../config.ts';
import { checkEntry, SinkCheckError } from '../doctor/sinks.ts';
import { CliError, EXIT, usageError } from '../errors.ts';
import { type CommandOutput, emit, parseOutputFormat } from '../output.ts';
import { resolveConfig } from '../tenant-options.ts';

const VERBS = ['check', 'install-template'] as const;
const FLAVORS = ['auto', 'elasticsearch', 'opensearch'] as const;

export const sinksCommand: Command = {
  name: 'sinks',
  summary: 'Check the configured sinks, or install the Elasticsearch/OpenSearch index template',
  usage:
    'mailtrace sinks check [--config FILE] [--sink NAME]\n' +
    '       mailtrace sinks install-template [--config FILE] [--sink NAME] [--flavor auto|elasticsearch|opensearch]',
  examples: [
    'mailtrace sinks check --config mailtrace.json',
    'mailtrace sinks check --config mailtrace.json --sink splunk --output json',
    'mailtrace sinks install-template --config mailtrace.json',
    'mailtrace sinks install-template --config mailtrace.json --sink elastic-prod --flavor opensearch',
  ],
  allowPositionals: true,
  options: {
    config: { type: 'string', short: 'c' },
    sink: { type: 'string' },
    flavor: { type: 'string' },
    ...OUTPUT_OPTIONS,
  },
  optionHelp: [
    '-c, --config FILE     config file with a "sinks" section (default: $MAILTRACE_CONFIG)',
    '    --sink NAME       only this sink (its "name", or its type when unnamed)',
    '    --flavor F        install-template: auto (default: asks the cluster), elasticsearch or opensearch',
    ...OUTPUT_OPTION_HELP,
    '',
    'check exits 6 when a sink fails (the output says which and how to fix it); secrets are never printed.',
    'install-template needs the manage_index_templates cluster privilege; run it once before collecting.',
  ],
  async run(args, context) {
    const verb = args.positionals[0];
    if (!(VERBS as readonly string[]).includes(verb ?? '') || args.positionals.length > 1)
      throw usageError(
        verb === undefined ? 'missing action' : `unknown action '${args.positionals.join(' ')}'`,
        'use `mailtrace sinks check` or `mailtrace sinks install-template` (see --help)',
      );
    const config = resolveConfig(args.values, context.env);
    const entries = selectSinks(config, args.values.sink);
    if (verb === 'check') return checkAll(entries, context, args.values);
    return installTemplates(entries, parseFlavor(args.values.flavor), context);
  },
};

function selectSinks(config: MailtraceConfig, name: unknown): SinkConfig[] {
  const all = config.sinks ?? [];
  if (all.length === 0)
    throw new CliError(
      `${config.source} has no sinks`,
      EXIT.config,
      'add a "sinks" section to the config file (see docs/sinks.md)',
    );
  if (typeof name !== 'string') return all;
  const chosen = all.filter((s) => sinkName(s) === name);
  if (chosen.length === 0)
    throw usageError(
      `no sink named '${name}' in ${config.source}`,
      `use one of: ${all.map(sinkName).join(', ')}`,
    );
  return chosen;
}

function parseFlavor(value: unknown): (typeof FLAVORS)[number] {
  if (value === undefined) return 'auto';
  if (typeof value === 'string' && (FLAVORS as readonly string[]).includes(value))
    return value as (typeof FLAVORS)[number];
  throw usageError(`--flavor ${String(value)} is not a flavor`, `use one of ${FLAVORS.join(', ')}`);
}

async function checkAll(
  entries: readonly SinkConfig[],
  context: CommandContext,
  values: { output?: unknown; out?: unknown },
): Promise<CommandOutput> {
  const rows: { sink: string; type: string; result: string; detail: string; fix: string }[] = [];
  for (const entry of entries) {
    context.stderr.write(`sinks: checking ${sinkName(entry)}\n`);
    try {
      const detail = await checkEntry(entry, { env: context.env }, context.signal);
      rows.push({ sink: sinkName(entry), type: entry.type, result: 'ok', detail: detail ?? '', fix: '' });
    } catch (error) {
      if (context.signal.aborted) throw error;
      rows.push({
        sink: sinkName(entry),
        type: entry.type,
        result: 'failed',
        detail: (error as Error).message,
        fix: error instanceof SinkCheckError ? (error.fix ?? '') : '',
      });
    }
  }
  const failed = rows.filter((r) => r.result !== 'ok');
  const output: CommandOutput = {
    title: 'mailtrace sinks check',
    data: { ok: failed.length === 0, sinks: rows },
    tables: [
      {
        title: 'Sinks',
        columns: [
          { key: 'sink', header: 'Sink' },
          { key: 'type', header: 'Type' },
          { key: 'result', header: 'Result' },
          { key: 'detail', header: 'Detail' },
          { key: 'fix', header: 'Fix' },
        ],
        rows,
      },
    ],
    notes: failed.length === 0 ? ['every sink answered'] : [`${failed.length} sink(s) failed`],
  };
  if (failed.length === 0) return output;
  // Like doctor: the table is printed AND the exit code says "no" (main.ts prints only the error).
  emit(output, parseOutputFormat(values.output as string | undefined), values.out as string | undefined);
  throw new CliError(
    `${failed.length} sink(s) failed their check: ${failed.map((f) => f.sink).join(', ')}`,
    EXIT.config,
    'fix the failed sinks (see the Fix column), then rerun `mailtrace sinks check`',
  );
}

async function installTemplates(
  entries: readonly SinkConfig[],
  flavor: (typeof FLAVORS)[number],
  context: CommandContext,
): Promise<CommandOutput> {
  const targets = entries.filter((e) => e.type === 'elasticsearch');
  if (targets.length === 0)
    throw new CliError(
      'no elasticsearch sink selected',
      EXIT.config,
      'install-template applies to sinks of type "elasticsearch" (OpenSearch included)',
    );
  const logger = createLogger({ level: 'warn', env: context.env, write: (l) => context.stderr.write(l) });
  const rows: { sink: string; template: string; flavor: string; result: string }[] = [];
  for (const entry of targets) {
    const sink = buildConfiguredSink(entry, { env: context.env, logger });
    try {
      if (!(sink instanceof ElasticsearchSink))
        throw new CliError(`sink ${sink.name} is not an Elasticsearch sink`, EXIT.internal);
      const chosen = flavor === 'auto' ? await detectFlavor(sink) : flavor;
      context.stderr.write(`sinks: installing the ${chosen} index template into ${sink.name}\n`);
      const template = await sink.installIndexTemplate({ flavor: chosen });
      rows.push({ sink: sink.name, template, flavor: chosen, result: 'installed' });
    } catch (error) {
      if (error instanceof ElasticsearchError)
        throw new CliError(
          `${sinkName(entry)}: ${error.message}`,
          EXIT.config,
          'check url and credentials with `mailtrace sinks check`; the user needs manage_index_templates',
        );
      throw error;
    } finally {
      await sink.close();
    }
  }
  return {
    title: 'mailtrace sinks install-template',
    data: { ok: true, templates: rows },
    tables: [
      {
        title: 'Index templates',
        columns: [
          { key: 'sink', header: 'Sink' },
          { key: 'template', header: 'Template' },
          { key: 'flavor', header: 'Flavor' },
          { key: 'result', header: 'Result' },
        ],
        rows,
      },
    ],
    notes: [],
  };
}

/** GET / tells Elasticsearch from OpenSearch (version.distribution); an unreachable cluster stops here. */
async function detectFlavor(sink: ElasticsearchSink): Promise<SearchFlavor> {
  const health = await sink.healthcheck();
  if (!health.ok)
    throw new CliError(
      `${sink.name}: ${health.detail}`,
      EXIT.config,
      'check url and credentials with `mailtrace sinks check`, or pass --flavor',
    );
  return health.detail.startsWith('OpenSearch') ? 'opensearch' : 'elasticsearch';
}
