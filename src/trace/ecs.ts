// Message-trace rows to Elastic Common Schema documents. Pure: no clock, no I/O; the same row and context give
// the same document (and the same event.id) every time. The mapping is documented in docs/ecs.md and the type
// of every emitted field is declared in ecs-fields.ts.

import { hash } from 'node:crypto';
import { isIP } from 'node:net';
import { ECS_VERSION } from './ecs-fields.ts';
import { normalizeStatus, type TraceRow, type TraceStatus, toUtcIso } from './model.ts';

export interface EcsContext {
  tenantId: string;
  tenantName?: string;
  /** The tenant's accepted domains (e.g. contoso.com, contoso.onmicrosoft.com), to tell the mail's direction. */
  acceptedDomains: string[];
  /** Deliberately absent: a normalizer never reads the clock, so there is no "observed at". */
  observedAt?: never;
}

export type EmailDirection = 'inbound' | 'outbound' | 'internal' | 'unknown';
export type EventOutcome = 'success' | 'failure' | 'unknown';

export interface EcsDocument {
  '@timestamp': string;
  ecs: { version: string };
  event: {
    kind: 'event';
    category: ['email'];
    type: ['info'];
    action: string;
    outcome: EventOutcome;
    id: string;
    dataset: 'microsoft.message_trace';
    provider: string;
  };
  email: {
    message_id: string;
    local_id: string;
    from?: { address: string[] };
    to: { address: string[] };
    subject: string;
    direction: EmailDirection;
    delivery_timestamp?: string;
  };
  source?: { ip: string };
  destination?: { ip: string };
  network: { bytes: number };
  related: { user?: string[]; ip?: string[] };
  observer: { vendor: 'Microsoft'; product: 'Exchange Online'; type: 'mta' };
  cloud: { account: { id: string; name?: string } };
  microsoft: { message_trace: RawTraceFields };
}

/** The Graph object's own fields, names unchanged, under `microsoft.message_trace`. */
export interface RawTraceFields {
  id: string;
  messageId: string;
  senderAddress: string;
  recipientAddress: string;
  receivedDateTime: string;
  subject: string;
  size: number;
  fromIP: string;
  toIP: string;
  /** As Graph sent it (casing and unknown members kept). */
  status: string;
}

export const EVENT_DATASET = 'microsoft.message_trace';
export const EVENT_PROVIDER = 'exchange-online-message-trace';

const ACTIONS: Readonly<Record<TraceStatus, string>> = {
  gettingStatus: 'getting-status',
  pending: 'pending',
  failed: 'failed',
  delivered: 'delivered',
  expanded: 'expanded',
  quarantined: 'quarantined',
  filteredAsSpam: 'filtered-as-spam',
  recalled: 'recalled',
  unknownFutureValue: 'unknown-future-value',
};

/** Outcome = did the copy reach the recipient's mailbox (or its group expansion) as far as the trace knows. */
const OUTCOMES: Readonly<Record<TraceStatus, EventOutcome>> = {
  delivered: 'success',
  expanded: 'success',
  failed: 'failure',
  quarantined: 'failure',
  filteredAsSpam: 'failure',
  gettingStatus: 'unknown',
  pending: 'unknown',
  recalled: 'unknown',
  unknownFutureValue: 'unknown',
};

export function eventAction(status: string): string {
  return ACTIONS[normalizeStatus(status)];
}

export function eventOutcome(status: string): EventOutcome {
  return OUTCOMES[normalizeStatus(status)];
}

/**
 * Deterministic across runs and processes: one document per (row, status), so a sink that stores by event.id
 * (Elasticsearch `create` with `_id`) keeps each status of a row exactly once.
 */
export function ecsEventId(row: Pick<TraceRow, 'id' | 'recipientAddress' | 'status'>): string {
  const key = row.id + '\u0000' + row.recipientAddress.toLowerCase() + '\u0000' + normalizeStatus(row.status);
  return hash('sha256', key, 'hex');
}

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

const domainSets = new WeakMap<readonly string[], ReadonlySet<string>>();

function acceptedDomainSet(domains: readonly string[]): ReadonlySet<string> {
  let set = domainSets.get(domains);
  if (!set) {
    set = new Set(domains.map((d) => d.trim().toLowerCase()).filter((d) => d !== ''));
    domainSets.set(domains, set);
  }
  return set;
}

function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) return undefined;
  return address.slice(at + 1).toLowerCase();
}

/**
 * From the accepted domains (exact match, no subdomains): internal → internal is 'internal', internal → external
 * 'outbound', external → internal 'inbound'; anything else (external → external relay, an empty sender, no
 * accepted domains) is 'unknown'.
 */
export function emailDirection(
  sender: string,
  recipient: string,
  acceptedDomains: readonly string[],
): EmailDirection {
  const accepted = acceptedDomainSet(acceptedDomains);
  const s = domainOf(sender);
  const r = domainOf(recipient);
  if (s === undefined || r === undefined || accepted.size === 0) return 'unknown';
  const senderInside = accepted.has(s);
  const recipientInside = accepted.has(r);
  if (senderInside && recipientInside) return 'internal';
  if (senderInside) return 'outbound';
  if (recipientInside) return 'inbound';
  return 'unknown';
}

export function toEcs(row: TraceRow, context: EcsContext): EcsDocument {
  const status = normalizeStatus(row.status);
  const timestamp = toUtcIso(row.receivedDateTime);
  const fromIp = isIP(row.fromIP) !== 0 ? row.fromIP : undefined;
  const toIp = isIP(row.toIP) !== 0 ? row.toIP : undefined;

  const email: EcsDocument['email'] = {
    message_id: row.messageId,
    local_id: row.id,
    to: { address: [row.recipientAddress] },
    subject: row.subject,
    direction: emailDirection(row.senderAddress, row.recipientAddress, context.acceptedDomains),
  };
  if (row.senderAddress !== '') email.from = { address: [row.senderAddress] };
  if (status === 'delivered') email.delivery_timestamp = timestamp;

  const related: EcsDocument['related'] = {
    user:
      row.senderAddress !== '' && row.senderAddress !== row.recipientAddress
        ? [row.senderAddress, row.recipientAddress]
        : [row.recipientAddress],
  };
  const ips: string[] = [];
  if (fromIp !== undefined) ips.push(fromIp);
  if (toIp !== undefined && toIp !== fromIp) ips.push(toIp);
  if (ips.length > 0) related.ip = ips;

  const cloud: EcsDocument['cloud'] = { account: { id: context.tenantId } };
  if (context.tenantName !== undefined && context.tenantName !== '') cloud.account.name = context.tenantName;

  const doc: EcsDocument = {
    '@timestamp': timestamp,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'event',
      category: ['email'],
      type: ['info'],
      action: ACTIONS[status],
      outcome: OUTCOMES[status],
      id: ecsEventId(row),
      dataset: EVENT_DATASET,
      provider: EVENT_PROVIDER,
    },
    email,
    network: { bytes: row.size },
    related,
    observer: { vendor: 'Microsoft', product: 'Exchange Online', type: 'mta' },
    cloud,
    microsoft: {
      message_trace: {
        id: row.id,
        messageId: row.messageId,
        senderAddress: row.senderAddress,
        recipientAddress: row.recipientAddress,
        // Graph's own string, unless it lacks the Z that a date field needs.
        receivedDateTime: RFC3339_UTC.test(row.receivedDateTime) ? row.receivedDateTime : timestamp,
        subject: row.subject,
        size: row.size,
        fromIP: row.fromIP,
        toIP: row.toIP,
        status: row.status,
      },
    },
  };
  if (fromIp !== undefined) doc.source = { ip: fromIp };
  if (toIp !== undefined) doc.destination = { ip: toIp };
  return doc;
}
