// What the simulator saw: counters for assertions in tests and figures in benchmarks. A *violation* is the
// client breaking a documented limit; an injected *fault* is the simulator misbehaving on purpose.
import type { EndpointClass } from './endpoint-class.ts';

export type ViolationKind = 'mailboxConcurrency' | 'mailboxRate' | 'traceQuota' | 'retryAfterIgnored';
export type FaultKind =
  | 'throttle429'
  | 'throttle429NoRetryAfter'
  | 'unavailable503'
  | 'gatewayTimeout504'
  | 'connectionReset';

export interface RequestLogEntry {
  method: string;
  /** Path with query, as received (for $batch items, the item's url). */
  path: string;
  status: number;
  endpointClass: EndpointClass;
  /** Resolved mailbox user id (or the unresolved reference) for Outlook requests. */
  mailbox?: string;
  simTime: string;
  realDurationMs: number;
  clientRequestId: string;
  /** Set on $batch items: the enclosing batch's request id. */
  batchRequestId?: string;
}

const VIOLATION_KINDS: ViolationKind[] = [
  'mailboxConcurrency',
  'mailboxRate',
  'traceQuota',
  'retryAfterIgnored',
];
const FAULT_KINDS: FaultKind[] = [
  'throttle429',
  'throttle429NoRetryAfter',
  'unavailable503',
  'gatewayTimeout504',
  'connectionReset',
];

export class SimStats {
  /** HTTP requests received (token, discovery and Graph; a $batch counts once). */
  totalRequests = 0;
  /** $batch items executed. */
  batchItems = 0;
  /** Requests and batch items per endpoint class. */
  byEndpoint: Partial<Record<EndpointClass, number>> = {};
  /** Outlook requests and batch items per resolved mailbox. */
  byMailbox: Record<string, number> = {};
  /** Every response status, including those of $batch items. */
  byStatus: Record<string, number> = {};
  violations: Record<ViolationKind, number> = zeroes(VIOLATION_KINDS);
  faults: Record<FaultKind, number> = zeroes(FAULT_KINDS);
  /** Highest number of requests observed in flight at once for one (app, mailbox). */
  peakMailboxConcurrency = 0;
  /** Highest number of Outlook items of one $batch observed in flight at once (Graph allows 4). */
  peakBatchOutlookConcurrency = 0;
  log: RequestLogEntry[] = [];
  readonly maxLogEntries: number;

  constructor(maxLogEntries = 10_000) {
    this.maxLogEntries = maxLogEntries;
  }

  countRequest(endpointClass: EndpointClass, mailbox: string | undefined): void {
    this.byEndpoint[endpointClass] = (this.byEndpoint[endpointClass] ?? 0) + 1;
    if (mailbox !== undefined) this.byMailbox[mailbox] = (this.byMailbox[mailbox] ?? 0) + 1;
  }

  record(entry: RequestLogEntry): void {
    this.byStatus[entry.status] = (this.byStatus[entry.status] ?? 0) + 1;
    this.log.push(entry);
    // Drop the oldest half in one go: amortised O(1) and the log stays bounded.
    if (this.log.length > this.maxLogEntries) this.log.splice(0, this.log.length - this.maxLogEntries / 2);
  }

  violation(kind: ViolationKind): void {
    this.violations[kind]++;
  }

  fault(kind: FaultKind): void {
    this.faults[kind]++;
  }

  totalViolations(): number {
    return VIOLATION_KINDS.reduce((sum, kind) => sum + this.violations[kind], 0);
  }

  totalFaults(): number {
    return FAULT_KINDS.reduce((sum, kind) => sum + this.faults[kind], 0);
  }

  reset(): void {
    this.totalRequests = 0;
    this.batchItems = 0;
    this.byEndpoint = {};
    this.byMailbox = {};
    this.byStatus = {};
    this.violations = zeroes(VIOLATION_KINDS);
    this.faults = zeroes(FAULT_KINDS);
    this.peakMailboxConcurrency = 0;
    this.peakBatchOutlookConcurrency = 0;
    this.log = [];
  }
}

function zeroes<K extends string>(keys: K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
