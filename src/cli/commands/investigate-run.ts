// What `mailtrace investigate` does once it runs (investigate.ts holds its help): parses and validates the input,
// runs one investigation per tenant (a tenant that cannot sign in is reported, not fatal), records each run in
// the store and hands the result to the output layer.
import { investigationOutput, type TenantInvestigation } from '../../cli/reports/investigation.ts';
import { GraphError, isAuthError, TokenError } from '../../graph/errors.ts';
import { createLogger } from '../../graph/logger.ts';
import { investigationToEcs } from '../../investigate/ecs.ts';
import { MessageIdError, readMessageIds } from '../../investigate/message-id.ts';
import { progressReporter } from '../../investigate/progress.ts';
import { type InvestigationReport, investigate } from '../../investigate/run.ts';
import {
  finishOf,
  type InvestigationParams,
  loadResumable,
  ResumeError,
  RUN_KIND,
} from '../../investigate/run-record.ts';
import type { ScopeChoice } from '../../investigate/scope.ts';
import { splitByMessageId } from '../../investigate/split.ts';
import { MailAccessMissingError } from '../../investigate/mail-access.ts';
import { TraceUnavailableError } from '../../investigate/trace-scope.ts';
import type { Store } from '../../store/index.ts';
import { WindowError } from '../../trace/windows.ts';
import { parseInstant } from '../collect-config.ts';
import type { CommandContext, ParsedArgs } from '../command.ts';
import type { TenantConfig } from '../config.ts';
import { CliError, EXIT, type ExitCode, usageError } from '../errors.ts';
import {
  describeDelivery,
  type InvestigationSinks,
  investigationSinkEvent,
  investigationSinks,
  sendInvestigationEvents,
} from '../investigation-sinks.ts';
import { openStoreOrExplain } from '../open-store.ts';
import { type CommandOutput, renderHtml, writeOutFile } from '../output.ts';
import { DEFAULT_STORE_PATH } from '../store-path.ts';
import { clientForTenant } from '../tenant-client.ts';
import { resolveTenants } from '../tenant-options.ts';

/**
 * Message trace refuses a range that ends after, or starts more than 90 days before, *its* now: a client clock a
 * little off would get 400. Mail younger than this is still found, as `auto` sweeps when trace has nothing.
 */
export const CLOCK_SKEW_MARGIN_MS = 5 * 60_000;

const SCOPES: readonly ScopeChoice[] = ['auto', 'trace', 'sweep'];

export async function runInvestigate(args: ParsedArgs, context: CommandContext): Promise<CommandOutput> {
  const v = args.values;
  const str = (name: string) => (typeof v[name] === 'string' ? (v[name] as string) : undefined);
  const scope = (str('scope') ?? 'auto') as ScopeChoice;
  if (!SCOPES.includes(scope)) throw usageError(`unknown scope '${scope}'`, 'use --scope auto|trace|sweep');
  const since = checkInstant(str('since'), '--since');
  const until = checkInstant(str('until'), '--until');
  if (since !== undefined && until !== undefined && Date.parse(since) > Date.parse(until))
    throw usageError(`impossible time range: --since ${since} is after --until ${until}`, 'swap them');
  const concurrency = checkConcurrency(str('concurrency'));
  if (Array.isArray(v.mailbox) && (v.mailbox as string[]).some((m) => m.trim() === ''))
    throw usageError('--mailbox is empty', 'give a mailbox address such as adele@contoso.com, or drop --mailbox');
  const resumeId = str('resume');
  // Bad ids are a usage error whatever the config says: read them before the config is looked for.
  const wantsStdin = args.positionals.includes('-');
  const givenIds =
    resumeId === undefined
      ? await readIdsOrFail(
          args.positionals.filter((p) => p !== '-'),
          str('file'),
          wantsStdin ? process.stdin : undefined,
        )
      : undefined;
  const { config, tenants } = resolveTenants(v, context.env);
  // Built before any Graph request, so that a sink misconfiguration costs no quota.
  const toSinks = v['to-sinks'] === true ? sinksFor(config.sinks, context) : undefined;
  // The collector's store by default: the message-trace budget is shared with it and the run can be resumed.
  const storePath = str('store') ?? config.store ?? DEFAULT_STORE_PATH;
  let store: Store | undefined;
  try {
    store = openStoreOrExplain(storePath);
    let resume: ReturnType<typeof loadResumable> | undefined;
    let selected = tenants;
    if (resumeId !== undefined) {
      resume = loadResumableOrFail(store, resumeId);
      const name = resume.record.tenant;
      selected = config.tenants.filter((t) => t.name === name);
      if (selected.length === 0)
        throw usageError(`run ${resumeId} belongs to tenant '${name}', which the config does not have`);
    }
    const ids = resume ? resume.params.messageIds : (givenIds ?? []);
    const params: InvestigationParams = resume
      ? { ...resume.params, resumedFrom: resume.record.id }
      : {
          messageIds: ids,
          scope,
          addSweep: v.sweep === true,
          ...(Array.isArray(v.mailbox) ? { mailboxes: v.mailbox as string[] } : {}),
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
        };
    const showProgress = v.progress === true || (context.stderr as { isTTY?: boolean }).isTTY === true;
    const results: TenantInvestigation[] = [];
    for (const tenant of selected) {
      if (context.signal.aborted) {
        results.push({ tenant: tenant.name, notSearched: 'the run was cancelled before this tenant' });
        continue;
      }
      results.push(
        await investigateTenant(tenant, params, {
          context,
          store,
          showProgress,
          ...(concurrency !== undefined ? { concurrency } : {}),
          ...(resume ? { resume: resume.report } : {}),
        }),
      );
    }
    const output = investigationOutput(results, { format: str('output') ?? 'table' });
    const htmlReport = str('html-report');
    if (htmlReport !== undefined)
      writeOutFile(htmlReport, renderHtml(investigationOutput(results)), '--html-report');
    if (toSinks) await sendToSinks(toSinks, results, selected, context);
    return output;
  } finally {
    store?.close();
    // Closing twice is harmless; this releases the sinks when the run failed before sending.
    if (toSinks) await Promise.allSettled(toSinks.sinks.map((s) => s.close()));
  }
}

function sinksFor(
  entries: Parameters<typeof investigationSinks>[0],
  context: CommandContext,
): InvestigationSinks {
  const logger = createLogger({
    level: 'warn',
    env: context.env,
    write: (line) => context.stderr.write(line),
  });
  return investigationSinks(entries, { env: context.env, logger });
}

/**
 * Ships the documents of every tenant that was investigated. Delivery problems are reported on stderr rather
 * than thrown: the report is already made and is the command's result.
 */
async function sendToSinks(
  toSinks: InvestigationSinks,
  results: readonly TenantInvestigation[],
  tenants: readonly TenantConfig[],
  context: CommandContext,
): Promise<void> {
  const events = results.flatMap((r) => {
    if (!r.report) return [];
    const tenantId = tenants.find((t) => t.name === r.tenant)?.tenantId;
    // One document per (message id, mailbox): each id's lines are converted on their own.
    return splitByMessageId(r.report).flatMap((part) =>
      investigationToEcs(part, tenantId !== undefined ? { tenantId } : {}).map((doc) =>
        investigationSinkEvent(doc, r.tenant),
      ),
    );
  });
  const delivery = await sendInvestigationEvents(toSinks.sinks, events);
  for (const line of describeDelivery(delivery, toSinks.skipped)) context.stderr.write(`${line}\n`);
  if (!delivery.ok)
    context.stderr.write(
      'warning: some investigation events were not stored; the investigation report is unaffected\n',
    );
}

interface TenantRunOptions {
  context: CommandContext;
  store: Store | undefined;
  showProgress: boolean;
  concurrency?: number;
  resume?: InvestigationReport;
}

async function investigateTenant(
  tenant: TenantConfig,
  params: InvestigationParams,
  options: TenantRunOptions,
): Promise<TenantInvestigation> {
  const { context, store } = options;
  const client = clientForTenant(tenant, store ? { quotaLedger: store.quotaLedger() } : {});
  try {
    try {
      await client.grantedRoles();
    } catch (error) {
      if (error instanceof TokenError)
        return { tenant: tenant.name, notSearched: `sign-in failed: ${error.explanation}` };
      throw error;
    }
    const runId = store?.startRun({ kind: RUN_KIND, tenant: tenant.name, params });
    const progress = options.showProgress ? progressReporter(context.stderr, tenant.name) : undefined;
    let report: InvestigationReport;
    try {
      report = await investigate({
        client,
        tenant: tenant.name,
        messageIds: params.messageIds,
        scope: params.scope,
        addSweep: params.addSweep,
        ...(params.mailboxes ? { mailboxes: params.mailboxes } : {}),
        ...(tenant.domains ? { acceptedDomains: tenant.domains } : {}),
        ...(params.since !== undefined ? { since: params.since } : {}),
        ...(params.until !== undefined ? { until: params.until } : {}),
        clockSkewMarginMs: CLOCK_SKEW_MARGIN_MS,
        signal: context.signal,
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(progress ? { onProgress: progress.onProgress } : {}),
        ...(runId !== undefined ? { runId } : {}),
        ...(options.resume ? { resume: options.resume } : {}),
      });
    } catch (error) {
      if (runId !== undefined)
        store?.finishRun(runId, { status: 'failed', failures: [{ error: describe(error) }] });
      throw asCliError(error);
    } finally {
      progress?.end();
    }
    if (runId !== undefined) store?.finishRun(runId, finishOf(report, context.signal.aborted));
    return { tenant: tenant.name, report };
  } finally {
    await client.close();
  }
}

/** Each kind of "trace unavailable" has its own exit code and fix: only a missing grant is a permission problem. */
const TRACE_UNAVAILABLE: Record<TraceUnavailableError['kind'], { exit: ExitCode; fix: string }> = {
  range: { exit: EXIT.usage, fix: 'narrow --since to the last 90 days, or use --scope auto|sweep' },
  cloud: {
    exit: EXIT.config,
    fix: "the tenant's cloud has no message trace API: use --scope sweep (or auto) for this tenant",
  },
  permission: {
    exit: EXIT.permission,
    fix: 'grant ExchangeMessageTrace.Read.All with admin consent, or use --scope auto|sweep',
  },
  servicePrincipal: {
    exit: EXIT.permission,
    fix: 'create the message trace service principal (New-MgServicePrincipal -AppId 8bd644d1-64a1-4d4b-ae52-2e0cbf64e373) and allow hours to propagate, or use --scope auto|sweep',
  },
  throttled: {
    exit: EXIT.partial,
    fix: 'the tenant message trace budget refills within 5 minutes: try again then, or use --scope auto|sweep',
  },
  failed: { exit: EXIT.partial, fix: 'try again later, or use --scope auto|sweep' },
};

function asCliError(error: unknown): unknown {
  if (error instanceof TraceUnavailableError) {
    const { exit, fix } = TRACE_UNAVAILABLE[error.kind];
    const id = error.requestId === undefined ? '' : ` (request-id ${error.requestId})`;
    return new CliError(`message trace is unavailable: ${error.message}${id}`, exit, fix);
  }
  if (error instanceof MailAccessMissingError) {
    const id = error.requestId === undefined ? '' : ` (request-id ${error.requestId})`;
    return new CliError(
      `mailboxes cannot be searched: ${error.message}${id}`,
      EXIT.permission,
      'grant the application permission Mail.ReadBasic.All (or Mail.Read) with admin consent, then run again; ' +
        'with RBAC for Applications, check the role assignment and its management scope ' +
        '(Test-ServicePrincipalAuthorization)',
    );
  }
  if (error instanceof WindowError) return usageError(error.message, 'fix --since/--until');
  // Anything else Graph refused or garbled before any mailbox could be searched (the directory listing): the
  // run has no answer at all, which is a partial result with Graph's words, not a crash.
  if (error instanceof GraphError) {
    const id = error.requestId === undefined ? '' : ` (request-id ${error.requestId})`;
    if (isAuthError(error))
      return new CliError(
        `the directory cannot be read: ${error.message}${id}`,
        EXIT.permission,
        'grant the application permission User.Read.All with admin consent, or name mailboxes with --mailbox',
      );
    return new CliError(
      `Graph did not answer the investigation usably: ${error.message}${id}`,
      EXIT.partial,
      'nothing was searched; run it again, and `mailtrace doctor` if it keeps failing',
    );
  }
  return error;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown failure';
}

async function readIdsOrFail(
  args: string[],
  file: string | undefined,
  stdin: AsyncIterable<string | Uint8Array> | undefined,
): Promise<string[]> {
  try {
    return await readMessageIds(args, file, stdin);
  } catch (error) {
    if (error instanceof MessageIdError)
      throw usageError(error.message, 'pass the Message-ID header value, e.g. <CAF1a2b3@mail.example.com>');
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'EACCES'
    )
      throw usageError(`cannot read --file ${file}: ${(error as NodeJS.ErrnoException).code}`);
    throw error;
  }
}

function loadResumableOrFail(store: Store, runId: string): ReturnType<typeof loadResumable> {
  try {
    return loadResumable(store, runId);
  } catch (error) {
    if (error instanceof ResumeError) throw usageError(error.message, 'list runs with `mailtrace status`');
    throw error;
  }
}

/** An age (30d, 48h) or an RFC 3339 instant, as trace and collect take them; returned as RFC 3339 UTC. */
function checkInstant(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = parseInstant(value, Date.now(), option);
  if (option === '--since' && ms > Date.now()) throw usageError(`--since ${value} is in the future`);
  return new Date(ms).toISOString();
}

/**
 * $batch requests in flight for a sweep: 16 × 20 items keeps a 50,000-mailbox sweep near its lower bound
 * (docs/benchmarks.md) while the per-mailbox limiter still caps each mailbox at 4, and it matches the client's
 * global in-flight cap, so nothing else queues behind the sweep for long.
 */
export const DEFAULT_INVESTIGATE_CONCURRENCY = 16;

function checkConcurrency(value: string | undefined): number {
  if (value === undefined) return DEFAULT_INVESTIGATE_CONCURRENCY;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32)
    throw usageError('--concurrency must be an integer from 1 to 32');
  return n;
}
