// Which scope an investigation runs, and why, decided before any mailbox is touched: trace first when the tenant
// can answer it (global cloud, the permission granted, a range inside the 90-day horizon), a sweep otherwise. The
// reason is kept in words because a responder reading "sweep" must know whether that was asked for or forced.

import { parseUtcMs } from '../trace/model.ts';
import { HORIZON_MS } from '../trace/windows.ts';

export type ScopeChoice = 'auto' | 'trace' | 'sweep';

export const TRACE_ROLE = 'ExchangeMessageTrace.Read.All';

export interface ScopeFacts {
  cloudName: string;
  cloudHasTrace: boolean;
  /** The token's roles; undefined when they could not be read (trace is then simply tried). */
  roles: readonly string[] | undefined;
  since: string | undefined;
  now: number;
}

export interface TraceBlocker {
  kind: 'cloud' | 'permission' | 'range';
  message: string;
}

/** Undefined when trace can be tried; otherwise why it cannot, and what kind of problem that is. */
export function findTraceBlocker(facts: ScopeFacts): TraceBlocker | undefined {
  if (!facts.cloudHasTrace)
    return {
      kind: 'cloud',
      message: `the ${facts.cloudName} cloud has no message trace API (global cloud only)`,
    };
  if (facts.roles !== undefined && !facts.roles.includes(TRACE_ROLE))
    return { kind: 'permission', message: `the app lacks the ${TRACE_ROLE} permission` };
  if (facts.since !== undefined) {
    const since = parseUtcMs(facts.since);
    if (since !== undefined && since < facts.now - HORIZON_MS)
      return {
        kind: 'range',
        message: 'the range starts more than 90 days ago, beyond what message trace keeps',
      };
  }
  return undefined;
}

/** Undefined when trace can be tried; otherwise why it cannot. */
export function traceBlocker(facts: ScopeFacts): string | undefined {
  return findTraceBlocker(facts)?.message;
}

export interface ScopePlan {
  /** Whether to query message trace at all. */
  trace: boolean;
  /** Whether to sweep every mailbox regardless of what trace says. */
  sweep: boolean;
  reason: string;
}

/** The plan before trace has answered; `auto` may still turn to a sweep when trace fails or finds nothing. */
export function planScope(choice: ScopeChoice, addSweep: boolean, blocker: string | undefined): ScopePlan {
  if (choice === 'sweep') return { trace: false, sweep: true, reason: 'sweep requested (--scope sweep)' };
  if (choice === 'trace') {
    return addSweep
      ? { trace: true, sweep: true, reason: 'trace requested with --sweep' }
      : { trace: true, sweep: false, reason: 'trace requested (--scope trace)' };
  }
  if (blocker !== undefined) return { trace: false, sweep: true, reason: `sweep: ${blocker}` };
  return addSweep
    ? { trace: true, sweep: true, reason: 'trace first, plus a full sweep (--sweep)' }
    : { trace: true, sweep: false, reason: 'trace first: searched the recipients message trace reported' };
}
