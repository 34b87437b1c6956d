// What `mailtrace collect` does once it runs (collect.ts holds its help): one session of store, sinks and Graph
// clients, a cycle or a daemon on it, and the summary table of the last cycle.
import { createLogger } from '../../graph/logger.ts';
import type { CollectorProgress, CycleReport, TenantCycleReport } from '../../trace/collector.ts';
import { DAY_MS } from '../../trace/windows.ts';
import { parseInstant } from '../collect-config.ts';
import { openCollectSession } from '../collect-session.ts';
import type { CommandContext, ParsedArgs } from '../command.ts';
import { CliError, EXIT } from '../errors.ts';
import { formatLag } from '../format-lag.ts';
import type { CommandOutput, Table } from '../output.ts';
import { DEFAULT_STORE_PATH } from '../store-path.ts';
import { resolveTenants } from '../tenant-options.ts';

const MAX_SINCE_MS = 90 * DAY_MS;

export async function runCollect(args: ParsedArgs, context: CommandContext): Promise<CommandOutput | undefined> {
  const values = args.values;
  const { config, tenants } = resolveTenants(values, context.env);
  const now = Date.now();
  const since = typeof values.since === 'string' ? parseSince(values.since, now) : undefined;
  const ndjson = typeof values.ndjson === 'string' ? values.ndjson : undefined;
  const storePath = typeof values.store === 'string' ? values.store : (config.store ?? DEFAULT_STORE_PATH);
  const debug = context.env.MAILTRACE_DEBUG === '1' || context.env.MAILTRACE_DEBUG === 'true';
  const logger = createLogger({
    level: debug ? 'debug' : 'warn',
    env: context.env,
    write: (line) => context.stderr.write(line),
  });
  const names = new Map(tenants.map((t) => [t.tenantId, t.name]));
  let last: CycleReport | undefined;
  let cycles = 0;
  const session = openCollectSession({
    tenants,
    storePath,
    ...(config.sinks ? { sinks: config.sinks } : {}),
    ...(ndjson !== undefined ? { ndjson } : {}),
    ...(config.collector ? { settings: config.collector } : {}),
    ...(since !== undefined ? { since } : {}),
    logger,
    env: context.env,
    collector: {
      onProgress: (p) => reportProgress(context, p, names),
      onCycle: (r) => {
        last = r;
        cycles++;
        reportCycle(context, r, names);
      },
    },
  });
  try {
    if (values.once) {
      const report = await session.collector.runOnce(context.signal);
      const output = cycleOutput(report, names, session.collector.quotaUsage());
      return ndjson === '-' ? toStderr(context, output) : output;
    }
    context.stderr.write(
      `collect: ${tenants.length} tenant(s) into ${storePath}; Ctrl-C stops after the current page\n`,
    );
    const collector = session.collector;
    await collector.run(context.signal);
    context.stderr.write(`collect: stopped after ${cycles} cycle(s)\n`);
    if (last === undefined) return undefined;
    const output = cycleOutput(last as CycleReport, names, collector.quotaUsage());
    // An interrupted daemon is a clean stop, not a partial result.
    (output.data as { complete: boolean }).complete = true;
    return ndjson === '-' ? toStderr(context, output) : output;
  } finally {
    await session.close();
  }
}

function parseSince(text: string, now: number): number {
  const since = parseInstant(text, now, '--since');
  if (since > now)
    throw new CliError(
      `--since ${text} is in the future`,
      EXIT.usage,
      'give a past instant or an age such as 30d',
    );
  // A minute of slack so that "--since 90d" typed a moment ago still counts as 90 days.
  if (since < now - MAX_SINCE_MS - 60_000)
    throw new CliError(
      `--since ${text} goes back more than 90 days`,
      EXIT.usage,
      'Graph keeps message traces for 90 days: use at most --since 90d',
    );
  return since;
}

function reportProgress(context: CommandContext, p: CollectorProgress, names: Map<string, string>): void {
  // One line per window of a backfill or a multi-window catch-up; a steady one-window cycle stays quiet.
  if (p.pass !== 'backfill' && p.windowCount < 2) return;
  context.stderr.write(
    `collect: ${names.get(p.tenant) ?? p.tenant} ${p.pass} ${p.windowIndex}/${p.windowCount} ` +
      `${p.window.start} → ${p.window.end}: ${p.rows} rows, ${p.events} events` +
      (p.coveredFrom ? `; covered from ${p.coveredFrom}` : '') +
      '\n',
  );
}

function reportCycle(context: CommandContext, report: CycleReport, names: Map<string, string>): void {
  for (const t of report.tenants) {
    context.stderr.write(
      `collect: ${names.get(t.tenant) ?? t.tenant} ${t.ok ? 'ok' : resultOf(t).toUpperCase()}: ${t.rows} rows read, ${t.events.new} new, ` +
        `${t.events.statusChanged} status changes, ${t.requests} requests, lag ${formatLag(t.lagMs)}` +
        (droppedCount(t) > 0 ? `, ${describeDrops(t)}` : '') +
        (t.error ? `; ${t.error}` : '') +
        '\n',
    );
  }
}

function cycleOutput(
  report: CycleReport,
  names: Map<string, string>,
  quota: Record<string, { requestsLastHour: number; fractionOfBudget: number }>,
): CommandOutput {
  const table: Table = {
    title: 'Collection cycle',
    columns: [
      { key: 'tenant', header: 'Tenant' },
      { key: 'result', header: 'Result' },
      { key: 'windows', header: 'Windows f/b/r' },
      { key: 'requests', header: 'Requests', align: 'right' },
      { key: 'rows', header: 'Rows read', align: 'right' },
      { key: 'new', header: 'New', align: 'right' },
      { key: 'changed', header: 'Status changes', align: 'right' },
      { key: 'dropped', header: 'Dropped', align: 'right' },
      { key: 'lag', header: 'Lag' },
      { key: 'error', header: 'Error' },
    ],
    rows: report.tenants.map((t: TenantCycleReport) => ({
      tenant: names.get(t.tenant) ?? t.tenant,
      result: resultOf(t),
      windows: `${t.windows.fast}/${t.windows.backfill}/${t.windows.reconcile}`,
      requests: t.requests,
      rows: t.rows,
      new: t.events.new,
      changed: t.events.statusChanged,
      dropped: droppedCount(t),
      lag: formatLag(t.lagMs),
      error: t.error ?? '',
    })),
  };
  const held = report.tenants.filter((t) => t.heldBy).length;
  const failed = report.tenants.filter((t) => !t.ok).length - held;
  const notes: string[] = report.tenants
    .filter((t) => droppedCount(t) > 0)
    .map((t) => `${names.get(t.tenant) ?? t.tenant}: ${describeDrops(t)}.`);
  if (failed > 0)
    notes.push(`${failed} tenant(s) failed: their windows are read again by the next run; nothing is skipped.`);
  if (held > 0)
    notes.push(
      `${held} tenant(s) are being collected by another mailtrace process (see Error): it delivers their events; ` +
        'run this again once it has finished, or leave collection to it.',
    );
  return {
    title: 'mailtrace collect',
    data: { complete: report.ok, ...report, quota },
    tables: [table],
    notes,
  };
}

function droppedCount(t: TenantCycleReport): number {
  return Object.values(t.dropped).reduce((sum, n) => sum + n, 0);
}

/** "3 dropped (sekoia: too_large 2, invalid_row 1), kept in FILE": every drop by reason, and where it went. */
function describeDrops(t: TenantCycleReport): string {
  const reasons = Object.entries(t.dropped)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return `${droppedCount(t)} dropped (${reasons})` + (t.deadLetter ? `, kept in ${t.deadLetter}` : '');
}

function resultOf(t: TenantCycleReport): string {
  return t.ok ? 'ok' : t.heldBy ? 'held' : 'failed';
}

/** With --ndjson -, stdout carries the documents: the summary is printed on stderr instead. */
function toStderr(context: CommandContext, output: CommandOutput): undefined {
  const t = output.tables[0];
  if (t) {
    for (const row of t.rows)
      context.stderr.write(
        `collect: ${row.tenant} ${row.result}: ${row.new} new, ${row.changed} status changes${row.error ? `; ${row.error}` : ''}\n`,
      );
  }
  if ((output.data as { complete: boolean }).complete === false)
    throw new CliError(
      'some tenants failed this cycle',
      EXIT.partial,
      'see the errors above; the next run retries them',
    );
  return undefined;
}
