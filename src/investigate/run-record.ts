// An investigation as a run in the store: the manifest (parameters, times, request ids of failures) and the
// report itself, so that `--resume RUN` can pick up exactly the mailboxes that were not finished.
import type { FinishRun, RunRecord, Store } from '../store/index.ts';
import type { InvestigationReport } from './run.ts';
import type { ScopeChoice } from './scope.ts';

export const RUN_KIND = 'investigate';

export interface InvestigationParams {
  messageIds: string[];
  scope: ScopeChoice;
  addSweep: boolean;
  mailboxes?: string[];
  since?: string;
  until?: string;
  resumedFrom?: string;
}

export interface RunFailure {
  mailbox: string;
  reason: string;
  detail?: string;
  requestId?: string;
}

/** Mailboxes that ended not searched for a reason worth chasing, with Graph's request-id when there is one. */
export function failuresOf(report: InvestigationReport): RunFailure[] {
  return report.mailboxes
    .filter(
      (m) =>
        m.outcome === 'notSearched' &&
        (m.requestId !== undefined || m.reason === 'error' || m.reason === 'throttled'),
    )
    .map((m) => ({
      mailbox: m.mailbox.address,
      reason: m.reason ?? 'error',
      ...(m.detail !== undefined ? { detail: m.detail } : {}),
      ...(m.requestId !== undefined ? { requestId: m.requestId } : {}),
    }));
}

export function finishOf(report: InvestigationReport, cancelled: boolean): FinishRun {
  return {
    status: report.complete ? 'succeeded' : cancelled ? 'cancelled' : 'partial',
    summary: { counts: report.counts, scope: report.scope, scopeReason: report.scopeReason, report },
    failures: failuresOf(report),
  };
}

export class ResumeError extends Error {
  override readonly name = 'ResumeError';
}

/** The stored report and parameters of an investigation run to resume; says what is wrong otherwise. */
export function loadResumable(
  store: Store,
  runId: string,
): { record: RunRecord; params: InvestigationParams; report: InvestigationReport } {
  const record = store.getRun(runId);
  if (!record) throw new ResumeError(`no run ${runId} in ${store.path}`);
  if (record.kind !== RUN_KIND)
    throw new ResumeError(`run ${runId} is a ${record.kind} run, not an investigation`);
  const report = (record.summary as { report?: InvestigationReport } | null)?.report;
  if (record.status === 'running' || report === undefined)
    throw new ResumeError(`run ${runId} has no saved result (status ${record.status}): it cannot be resumed`);
  return { record, params: record.params as InvestigationParams, report };
}
