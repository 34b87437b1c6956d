// What `mailtrace trace` does once it runs (trace.ts holds its help): validates the criteria, then searches the
// local store, or Graph tenant by tenant (a tenant that fails is reported, the others still searched).
import { existsSync } from 'node:fs';
import { GraphError, isAuthError, TokenError } from '../../graph/errors.ts';
import { InMemoryQuotaLedger } from '../../graph/quota.ts';
import type { QuotaLedger } from '../../graph/types.ts';
import { MessageIdError, parseMessageId } from '../../investigate/message-id.ts';
import type { Store } from '../../store/index.ts';
import { normalizeStatus, TRACE_STATUSES, type TraceRow } from '../../trace/model.ts';
import { searchTraces, type TraceCriteria } from '../../trace/search.ts';
import { WindowError } from '../../trace/windows.ts';
import { parseInstant } from '../collect-config.ts';
import type { CommandContext, ParsedArgs } from '../command.ts';
import type { TenantConfig } from '../config.ts';
import { CliError, EXIT, usageError } from '../errors.ts';
import { openLocalStore } from '../local-store.ts';
import { openStoreOrExplain } from '../open-store.ts';
import type { CommandOutput } from '../output.ts';
import { DEFAULT_STORE_PATH } from '../store-path.ts';
import { resolveTenants } from '../tenant-options.ts';
import { DEFAULT_LIMIT, DEFAULT_SINCE } from './trace.ts';

const LIVE_SKEW_MARGIN_MS = 30_000;
const ADDRESS = /^[^\s@]+@[^\s@]+$/;

interface Query {
  criteria: TraceCriteria;
  from: number;
  until: number;
  limit: number;
}

interface FoundRow {
  tenant: string;
  row: TraceRow;
}

export async function runTrace(args: ParsedArgs, context: CommandContext): Promise<CommandOutput> {
  const query = parseQuery(args, Date.now());
  if (args.values.local) return localSearch(args, context.env, query);
  return liveSearch(args, context.env, context.signal, query);
}

function stringValue(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function parseQuery(args: ParsedArgs, now: number): Query {
  const criteria: TraceCriteria = {};
  const messageId = stringValue(args, 'message-id');
  if (messageId !== undefined) {
    try {
      criteria.messageId = parseMessageId(messageId, '--message-id');
    } catch (error) {
      if (error instanceof MessageIdError)
        throw usageError(error.message, 'copy the Message-ID header as is');
      throw error;
    }
  }
  for (const [flag, key] of [
    ['sender', 'senderAddress'],
    ['recipient', 'recipientAddress'],
  ] as const) {
    const value = stringValue(args, flag)?.trim();
    if (value === undefined) continue;
    if (!ADDRESS.test(value))
      throw usageError(
        `--${flag} '${value}' is not an email address`,
        'give one address such as adele@contoso.com',
      );
    criteria[key] = value;
  }
  const status = stringValue(args, 'status');
  if (status !== undefined) {
    const canonical = normalizeStatus(status);
    if (canonical.toLowerCase() !== status.trim().toLowerCase())
      throw usageError(
        `--status '${status}' is not a message trace status`,
        `use one of ${TRACE_STATUSES.join(', ')}`,
      );
    criteria.status = canonical;
  }
  const subject = stringValue(args, 'subject');
  if (subject !== undefined) {
    if (subject === '') throw usageError('--subject is empty', 'give the text the subject contains');
    if (subject.length > MAX_SUBJECT_FILTER)
      throw usageError(
        `--subject is ${subject.length} characters, longer than a subject can be (${MAX_SUBJECT_FILTER})`,
        'give a shorter part of the subject; contains-matching finds it',
      );
    criteria.subjectContains = subject;
  }
  const from = parseInstant(stringValue(args, 'since') ?? DEFAULT_SINCE, now, '--since');
  const untilText = stringValue(args, 'until');
  const until = untilText === undefined ? now : parseInstant(untilText, now, '--until');
  if (from > until) throw usageError('impossible time range: --since is after --until', 'swap them');
  const limitText = stringValue(args, 'limit') ?? String(DEFAULT_LIMIT);
  const limit = Number(limitText);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1_000_000)
    throw usageError(`--limit '${limitText}' is not a count`, 'give a whole number from 1 to 1000000');
  return { criteria, from, until, limit };
}

/**
 * A subject filter longer than any subject line matches nothing and only makes Graph refuse the URL, which the
 * analyst then reads as a transient failure. RFC 5322 §2.1.1 caps a line at 998 characters; a longer filter is a
 * paste mistake, not a search.
 */
const MAX_SUBJECT_FILTER = 998;

function storePathOf(args: ParsedArgs, configStore: string | undefined): string {
  return stringValue(args, 'store') ?? configStore ?? DEFAULT_STORE_PATH;
}

function localSearch(args: ParsedArgs, env: NodeJS.ProcessEnv, query: Query): CommandOutput {
  const { selected, store } = openLocalStore(args.values, env, { allowMemory: true });
  try {
    const tenants = selected?.tenants.map((t) => t.tenantId) ?? [undefined];
    const found: FoundRow[] = [];
    for (const tenant of tenants) {
      const rows = store.queryTraceRows({
        ...(tenant !== undefined ? { tenant } : {}),
        ...(query.criteria.messageId !== undefined ? { messageId: query.criteria.messageId } : {}),
        ...(query.criteria.senderAddress !== undefined ? { sender: query.criteria.senderAddress } : {}),
        ...(query.criteria.recipientAddress !== undefined
          ? { recipient: query.criteria.recipientAddress }
          : {}),
        ...(query.criteria.status !== undefined ? { status: query.criteria.status } : {}),
        ...(query.criteria.subjectContains !== undefined
          ? { subjectContains: query.criteria.subjectContains }
          : {}),
        since: query.from,
        until: query.until,
        limit: query.limit + 1,
      });
      for (const r of rows) found.push({ tenant: r.tenant, row: r.row });
    }
    const names = new Map(selected?.tenants.map((t) => [t.tenantId, t.name]) ?? []);
    const truncated = found.length > query.limit;
    return traceOutput(found.slice(0, query.limit), names, { source: 'store', truncated, complete: true });
  } finally {
    store.close();
  }
}

async function liveSearch(
  args: ParsedArgs,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
  query: Query,
): Promise<CommandOutput> {
  const { config, tenants } = resolveTenants(args.values, env);
  // Imported here rather than at the top: the Graph client brings msal and undici, which --local does not need.
  const { clientForTenant } = await import('../tenant-client.ts');
  // Share the collector's budget ledger when a store exists; never create a store just to search.
  const path = storePathOf(args, config.store);
  const store: Store | undefined = existsSync(path) ? openStoreOrExplain(path) : undefined;
  const ledger: QuotaLedger = store?.quotaLedger() ?? new InMemoryQuotaLedger();
  const found: FoundRow[] = [];
  const failures: string[] = [];
  let truncated = false;
  try {
    for (const tenant of tenants) {
      const client = clientForTenant(tenant, { quotaLedger: ledger });
      try {
        const now = Date.now();
        const result = await searchTraces(query.criteria, {
          send: client.send,
          from: query.from,
          // Graph refuses a range ending after its own now: keep a margin for clock skew (the last seconds hold
          // no visible rows yet anyway).
          until: Math.min(query.until, now - LIVE_SKEW_MARGIN_MS),
          now,
          limit: query.limit,
          signal,
        });
        truncated ||= result.truncated;
        for (const row of result.rows) found.push({ tenant: tenant.tenantId, row });
      } catch (error) {
        const failure = explainFailure(error, tenant, tenants.length);
        if (failure instanceof CliError) throw failure;
        failures.push(failure);
      } finally {
        await client.close();
      }
    }
  } finally {
    store?.close();
  }
  const names = new Map(tenants.map((t) => [t.tenantId, t.name]));
  const output = traceOutput(found, names, { source: 'graph', truncated, complete: failures.length === 0 });
  output.notes = [...failures.map((f) => `not searched: ${f}`), ...(output.notes ?? [])];
  (output.data as { failures: string[] }).failures = failures;
  return output;
}

/** A CliError to stop on (bad range, or the only tenant cannot authenticate), or a line for a partial result. */
function explainFailure(error: unknown, tenant: TenantConfig, tenantCount: number): CliError | string {
  if (error instanceof WindowError)
    return usageError(error.message, 'message trace covers the last 90 days; narrow --since / --until');
  if (error instanceof TokenError) {
    const message = `${tenant.name}: ${error.explanation || error.message}`;
    return tenantCount === 1 ? new CliError(message, EXIT.auth, error.fix) : message;
  }
  if (error instanceof GraphError) {
    const message = `${tenant.name}: ${error.message}`;
    if (tenantCount > 1) return message;
    if (isAuthError(error))
      return new CliError(
        message,
        error.status === 403 ? EXIT.permission : EXIT.auth,
        'grant the application permission ExchangeMessageTrace.Read.All with admin consent; run `mailtrace doctor`',
      );
    return new CliError(message, EXIT.partial, 'try again later; `mailtrace doctor` checks the tenant setup');
  }
  throw error;
}

function traceOutput(
  found: FoundRow[],
  names: Map<string, string>,
  meta: { source: 'graph' | 'store'; truncated: boolean; complete: boolean },
): CommandOutput {
  const multiTenant = new Set(found.map((f) => f.tenant)).size > 1;
  return {
    title: 'mailtrace trace',
    data: {
      complete: meta.complete,
      source: meta.source,
      count: found.length,
      truncated: meta.truncated,
      rows: found.map((f) => ({ tenant: f.tenant, ...f.row })),
    },
    tables: [
      {
        title: `Message trace (${meta.source === 'graph' ? 'live from Graph' : 'local store'})`,
        columns: [
          ...(multiTenant ? [{ key: 'tenant', header: 'Tenant' }] : []),
          { key: 'received', header: 'Received (UTC)' },
          { key: 'status', header: 'Status' },
          { key: 'sender', header: 'Sender' },
          { key: 'recipient', header: 'Recipient' },
          { key: 'subject', header: 'Subject' },
          { key: 'messageId', header: 'Message-ID' },
          { key: 'size', header: 'Size', align: 'right' as const },
        ],
        rows: found.map((f) => ({
          tenant: names.get(f.tenant) ?? f.tenant,
          received: f.row.receivedDateTime,
          status: normalizeStatus(f.row.status),
          sender: f.row.senderAddress,
          recipient: f.row.recipientAddress,
          subject: f.row.subject,
          messageId: f.row.messageId,
          size: f.row.size,
        })),
      },
    ],
    notes: [
      `${found.length} row(s)` +
        (meta.truncated ? '; more match: raise --limit or narrow the search' : '') +
        (meta.source === 'store' ? '; the store holds what `mailtrace collect` has gathered' : ''),
    ],
  };
}
