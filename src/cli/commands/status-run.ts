// What `mailtrace status` does once it runs (status.ts holds its help): reads each tenant's figures from the
// store (tenantStatus, also used by tests) and lays them out as one table.
import { MESSAGE_TRACE_QUOTA } from '../../graph/types.ts';
import type { RunRecord, Store, TraceStats } from '../../store/index.ts';
import { parseState } from '../../trace/passes.ts';
import { STATE_CHECKPOINT } from '../../trace/tenant-collector.ts';
import { collectorLeaseScope } from '../../trace/tenant-lease.ts';
import type { CommandContext, ParsedArgs } from '../command.ts';
import { formatLag } from '../format-lag.ts';
import { openLocalStore } from '../local-store.ts';
import type { CommandOutput } from '../output.ts';

export interface TenantStatus {
  tenant: string;
  name: string | null;
  rows: number;
  statusChanges: number;
  byStatus: TraceStats['byStatus'];
  newestReceivedAt: string | null;
  /** End of the newest fast-pass window delivered (the checkpoint), and now minus it. */
  fastUntil: string | null;
  coveredFrom: string | null;
  lagMs: number | null;
  /** Message-trace requests recorded in the shared ledger in the last 5 minutes, by every process. */
  quotaUsedLast5Min: number;
  quotaLimit: number;
  lastRun: { status: string; startedAt: string; endedAt: string | null } | null;
  lastErrors: unknown[];
  /** The collector working on this tenant now (its unexpired lease), if any. */
  collectingNow: { host: string; pid: number; since: string; until: string } | null;
  /** Time never collected because the collector was stopped past the 90-day horizon (oldest first). */
  gaps: { start: string; end: string }[];
}

export async function runStatus(args: ParsedArgs, context: CommandContext): Promise<CommandOutput> {
  const { selected, path, store } = openLocalStore(args.values, context.env);
  try {
    const now = Date.now();
    const names = new Map(selected?.tenants.map((t) => [t.tenantId, t.name]) ?? []);
    const ids = selected ? selected.tenants.map((t) => t.tenantId) : knownTenants(store);
    const tenants = ids.map((id) => tenantStatus(store, id, names.get(id) ?? null, now));
    return statusOutput(path, tenants);
  } finally {
    store.close();
  }
}

/** Tenants the store has collect runs or checkpoints for (without a config, the store is the only source). */
function knownTenants(store: Store): string[] {
  const fromRuns = store.listRuns({ kind: 'collect', limit: 10_000 }).map((r) => r.tenant);
  return [...new Set(fromRuns)].sort();
}

export function tenantStatus(store: Store, tenant: string, name: string | null, now: number): TenantStatus {
  const stats = store.stats(tenant);
  const state = parseState(store.getCheckpoint(tenant, STATE_CHECKPOINT));
  const runs = store.listRuns({ tenant, kind: 'collect', limit: 20 });
  const last = runs.find((r) => r.status !== 'running') ?? runs[0];
  const lastFailed = runs.find((r) => r.status === 'failed' || r.status === 'partial');
  const lease = store.getLease(collectorLeaseScope(tenant));
  return {
    tenant,
    name,
    rows: stats.rows,
    statusChanges: stats.statusChanges,
    byStatus: stats.byStatus,
    newestReceivedAt: stats.newestReceivedAt,
    fastUntil: state.fastUntil === null ? null : new Date(state.fastUntil).toISOString(),
    coveredFrom: state.coveredFrom === null ? null : new Date(state.coveredFrom).toISOString(),
    lagMs: state.fastUntil === null ? null : Math.max(0, now - state.fastUntil),
    quotaUsedLast5Min: store.quotaLedger().used(tenant, 'messageTrace', now),
    quotaLimit: MESSAGE_TRACE_QUOTA.limit,
    lastRun: last ? { status: last.status, startedAt: last.startedAt, endedAt: last.endedAt } : null,
    lastErrors: lastFailed ? errorsOf(lastFailed) : [],
    collectingNow:
      lease && lease.expiresAt > now
        ? {
            host: lease.host,
            pid: lease.pid,
            since: new Date(lease.acquiredAt).toISOString(),
            until: new Date(lease.expiresAt).toISOString(),
          }
        : null,
    gaps: (state.gaps ?? []).map((g) => ({
      start: new Date(g.start).toISOString(),
      end: new Date(g.end).toISOString(),
    })),
  };
}

function errorsOf(run: RunRecord): unknown[] {
  return Array.isArray(run.failures) ? run.failures : run.failures === null ? [] : [run.failures];
}

function statusOutput(path: string, tenants: TenantStatus[]): CommandOutput {
  return {
    title: 'mailtrace status',
    data: { complete: true, store: path, tenants },
    tables: [
      {
        title: `Collection status (${path})`,
        columns: [
          { key: 'tenant', header: 'Tenant' },
          { key: 'rows', header: 'Rows', align: 'right' },
          { key: 'changes', header: 'Status changes', align: 'right' },
          { key: 'byStatus', header: 'By status' },
          { key: 'lag', header: 'Lag' },
          { key: 'quota', header: 'Quota (5 min)' },
          { key: 'lastRun', header: 'Last run' },
          { key: 'collecting', header: 'Collecting now' },
          { key: 'gaps', header: 'Never collected' },
          { key: 'errors', header: 'Last error' },
        ],
        rows: tenants.map((t) => ({
          tenant: t.name ?? t.tenant,
          rows: t.rows,
          changes: t.statusChanges,
          byStatus: Object.entries(t.byStatus)
            .map(([s, n]) => `${s} ${n}`)
            .join(', '),
          lag: formatLag(t.lagMs),
          quota: `${t.quotaUsedLast5Min}/${t.quotaLimit}`,
          lastRun: t.lastRun ? `${t.lastRun.status} ${t.lastRun.endedAt ?? t.lastRun.startedAt}` : 'never',
          collecting: t.collectingNow ? `pid ${t.collectingNow.pid} on ${t.collectingNow.host}` : '',
          gaps: formatGaps(t.gaps),
          errors: t.lastErrors.length > 0 ? String(t.lastErrors[0]) : '',
        })),
      },
    ],
    notes:
      tenants.length === 0
        ? ['no collection recorded in this store yet: run `mailtrace collect`']
        : ['lag = now − the end of the newest window delivered to every sink', ...gapNotes(tenants)],
  };
}

function formatGaps(gaps: TenantStatus['gaps']): string {
  const last = gaps.at(-1);
  if (!last) return '';
  return `${last.start} → ${last.end}` + (gaps.length > 1 ? ` (+${gaps.length - 1} earlier)` : '');
}

function gapNotes(tenants: readonly TenantStatus[]): string[] {
  return tenants.flatMap((t) =>
    t.gaps.map(
      (g) =>
        `${t.name ?? t.tenant}: no message trace collected from ${g.start} to ${g.end} ` +
        '(the collector was stopped longer than the 90-day horizon; Graph no longer serves that time)',
    ),
  );
}
