// An investigation as Elastic Common Schema documents, for the sinks (`mailtrace investigate --to-sinks`). Pure:
// no clock, no I/O; the same result gives the same documents and the same event ids every time, so sending a run
// twice stores it once in an idempotent sink. The type of every field is declared in ./ecs-fields.ts and the
// mapping is documented in docs/investigate.md.
//
// One document per (message id, mailbox) line: a found line gives one 'message-found' document per copy of its id;
// a searched mailbox without a copy of that id gives 'message-not-found'; a mailbox that could not be searched
// gives 'mailbox-not-searched' with its reason. Trace-only recipients (external addresses, groups) are not
// mailboxes of the tenant and give no document: the trace collector already ships their rows.

import { hash } from 'node:crypto';
import { ECS_VERSION } from '../trace/ecs-fields.ts';
import { parseUtcMs } from '../trace/model.ts';
import type { Copy, InvestigationResult, MailboxOutcome, NotSearchedReason } from './model.ts';

export const INVESTIGATION_DATASET = 'microsoft.mailbox_search';
export const INVESTIGATION_PROVIDER = 'microsoft-graph-mailbox-search';

export type InvestigationAction = 'message-found' | 'message-not-found' | 'mailbox-not-searched';
export type InvestigationEventOutcome = 'success' | 'failure' | 'unknown';

export interface InvestigationEcsContext {
  /** The tenant's directory id (cloud.account.id); the result itself only knows the tenant's configured name. */
  tenantId?: string;
}

export interface InvestigationFields {
  run_id: string;
  scope: string;
  complete: boolean;
  tenant: string;
  /** found / notFound / notSearched, as in the JSON report. */
  outcome: MailboxOutcome['outcome'];
  reason?: NotSearchedReason;
  detail?: string;
  request_id?: string;
  mailbox_kind?: 'member' | 'guest';
  folder?: string;
  folder_id?: string;
  well_known_folder?: string;
  is_read?: boolean;
  graph_id?: string;
  trace_status?: string;
  reconciliation: string;
}

export interface InvestigationEcsDocument {
  '@timestamp': string;
  ecs: { version: string };
  event: {
    kind: 'event';
    category: ['email'];
    type: ['info'];
    action: InvestigationAction;
    outcome: InvestigationEventOutcome;
    id: string;
    dataset: typeof INVESTIGATION_DATASET;
    provider: typeof INVESTIGATION_PROVIDER;
    start: string;
    end: string;
    reason?: string;
  };
  email: {
    message_id: string;
    local_id?: string;
    subject?: string;
    from?: { address: string[] };
    to: { address: string[] };
    delivery_timestamp?: string;
  };
  user: { email: string; id?: string; full_name?: string };
  related: { user: string[] };
  observer: { vendor: 'Microsoft'; product: 'Exchange Online'; type: 'mailbox' };
  cloud: { account: { id?: string; name: string } };
  mailtrace: { investigation: InvestigationFields };
}

/** What the documents are made from: the result plus nothing that needs I/O. */
export type InvestigationEcsInput = Pick<
  InvestigationResult,
  'runId' | 'messageIds' | 'tenant' | 'startedAt' | 'endedAt' | 'complete' | 'scope' | 'trace' | 'mailboxes'
>;

const ACTIONS: Readonly<Record<MailboxOutcome['outcome'], InvestigationAction>> = {
  found: 'message-found',
  notFound: 'message-not-found',
  notSearched: 'mailbox-not-searched',
};

/**
 * The search itself is the event: it succeeded when the mailbox was searched (whether or not it held a copy),
 * failed when it could not be, and is unknown when the run was stopped before it got there.
 */
export function investigationEventOutcome(mailbox: MailboxOutcome): InvestigationEventOutcome {
  if (mailbox.outcome !== 'notSearched') return 'success';
  return mailbox.reason === 'cancelled' ? 'unknown' : 'failure';
}

/**
 * Deterministic: the run, the mailbox (directory id, else address, case-folded), the message id and the copy
 * (Graph id) or, without a copy, the outcome. A resumed run has its own run id and so its own documents.
 */
export function investigationEventId(
  runId: string,
  mailbox: MailboxOutcome['mailbox'],
  messageId: string,
  copyOrOutcome: string,
): string {
  const mailboxKey = (mailbox.id ?? mailbox.address).toLowerCase();
  return hash('sha256', [runId, mailboxKey, messageId, copyOrOutcome].join('\u0000'), 'hex');
}

export function investigationToEcs(
  result: InvestigationEcsInput,
  context: InvestigationEcsContext = {},
): InvestigationEcsDocument[] {
  const docs: InvestigationEcsDocument[] = [];
  for (const line of result.mailboxes) {
    // A line answers for its own message id; a line without one (a run saved before lines were per id) for all.
    const ids = line.messageId !== undefined ? [line.messageId] : result.messageIds;
    for (const messageId of ids) {
      const copies = line.copies.filter((c) => sameId(c.internetMessageId, messageId));
      if (copies.length > 0) {
        for (const copy of copies) docs.push(documentOf(result, context, line, messageId, copy));
      } else {
        const outcome = line.outcome === 'found' ? { ...line, outcome: 'notFound' as const } : line;
        docs.push(documentOf(result, context, outcome, messageId, undefined));
      }
    }
  }
  return docs;
}

function documentOf(
  result: InvestigationEcsInput,
  context: InvestigationEcsContext,
  mailbox: MailboxOutcome,
  messageId: string,
  copy: Copy | undefined,
): InvestigationEcsDocument {
  const address = mailbox.mailbox.address;
  // Without a copy, the trace row of this recipient for this message id (a row that does not say its id counts
  // only when the run had a single id) still tells the analyst what the message was.
  const traceRow =
    copy === undefined
      ? result.trace.find(
          (t) =>
            t.address.toLowerCase() === address.toLowerCase() &&
            (t.messageId !== undefined ? sameId(t.messageId, messageId) : result.messageIds.length === 1),
        )
      : undefined;
  const subject = copy?.subject ?? traceRow?.subject;
  const sender = copy?.from ?? traceRow?.sender;

  const email: InvestigationEcsDocument['email'] = { message_id: messageId, to: { address: [address] } };
  if (copy) email.local_id = copy.graphId;
  if (subject !== undefined) email.subject = subject;
  if (sender !== undefined && sender !== '') email.from = { address: [sender] };
  const delivered = copy ? utcOrUndefined(copy.receivedDateTime) : undefined;
  if (delivered !== undefined) email.delivery_timestamp = delivered;

  const user: InvestigationEcsDocument['user'] = { email: address };
  if (mailbox.mailbox.id !== undefined) user.id = mailbox.mailbox.id;
  if (mailbox.mailbox.displayName) user.full_name = mailbox.mailbox.displayName;

  const related = [address];
  if (sender !== undefined && sender !== '' && sender.toLowerCase() !== address.toLowerCase())
    related.push(sender);

  const cloud: InvestigationEcsDocument['cloud'] = { account: { name: result.tenant } };
  if (context.tenantId !== undefined && context.tenantId !== '') cloud.account.id = context.tenantId;

  const endedAt = utcOrUndefined(result.endedAt) ?? result.endedAt;
  const event: InvestigationEcsDocument['event'] = {
    kind: 'event',
    category: ['email'],
    type: ['info'],
    action: ACTIONS[mailbox.outcome],
    outcome: investigationEventOutcome(mailbox),
    id: investigationEventId(result.runId, mailbox.mailbox, messageId, copy?.graphId ?? mailbox.outcome),
    dataset: INVESTIGATION_DATASET,
    provider: INVESTIGATION_PROVIDER,
    start: utcOrUndefined(result.startedAt) ?? result.startedAt,
    end: endedAt,
  };
  if (mailbox.outcome === 'notSearched' && mailbox.detail) event.reason = mailbox.detail;

  return {
    // When the search answered: the mailbox's state is as of the end of the run, not of the message's delivery.
    '@timestamp': endedAt,
    ecs: { version: ECS_VERSION },
    event,
    email,
    user,
    related: { user: related },
    observer: { vendor: 'Microsoft', product: 'Exchange Online', type: 'mailbox' },
    cloud,
    mailtrace: { investigation: investigationFields(result, mailbox, copy) },
  };
}

function investigationFields(
  result: InvestigationEcsInput,
  mailbox: MailboxOutcome,
  copy: Copy | undefined,
): InvestigationFields {
  const fields: InvestigationFields = {
    run_id: result.runId,
    scope: result.scope,
    complete: result.complete,
    tenant: result.tenant,
    outcome: mailbox.outcome,
    reconciliation: mailbox.reconciliation,
  };
  if (mailbox.reason !== undefined) fields.reason = mailbox.reason;
  if (mailbox.detail) fields.detail = mailbox.detail;
  if (mailbox.requestId) fields.request_id = mailbox.requestId;
  if (mailbox.mailbox.kind !== undefined) fields.mailbox_kind = mailbox.mailbox.kind;
  if (mailbox.traceStatus !== undefined) fields.trace_status = mailbox.traceStatus;
  if (copy) {
    fields.graph_id = copy.graphId;
    fields.folder_id = copy.folderId;
    if (copy.folderName !== null) fields.folder = copy.folderName;
    if (copy.wellKnownName !== undefined) fields.well_known_folder = copy.wellKnownName;
    fields.is_read = copy.isRead;
  }
  return fields;
}

function sameId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** RFC 3339 UTC with milliseconds (as the trace documents have it), or undefined for a value that is no date. */
function utcOrUndefined(value: string): string | undefined {
  const ms = parseUtcMs(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
