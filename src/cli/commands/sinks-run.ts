// What `mailtrace sinks` does once it runs (sinks.ts holds its help): picks the action and the sinks, then checks
// them or installs the index template into them.
import { createLogger } from '../../graph/logger.ts';
import { ElasticsearchError, ElasticsearchSink } from '../../sinks/elasticsearch.ts';
import type { SearchFlavor } from '../../sinks/index-template.ts';
import type { SinkConfig } from '../collect-config.ts';
import { buildConfiguredSink, sinkName } from '../collect-session.ts';
import type { CommandContext, ParsedArgs } from '../command.ts';
import type { MailtraceConfig } from '../config.ts';
import { checkEntry, SinkCheckError } from '../doctor/sinks.ts';
import { CliError, EXIT, usageError } from '../errors.ts';
import { type CommandOutput, emit, parseOutputFormat } from '../output.ts';
import { resolveConfig } from '../tenant-options.ts';

const VERBS = ['check', 'install-template'] as const;
const FLAVORS = ['auto', 'elasticsearch', 'opensearch'] as const;

export async function runSinks(args: ParsedArgs, context: CommandContext): Promise<CommandOutput> {
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
}

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
