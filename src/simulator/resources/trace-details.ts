// GET /admin/exchange/tracing/messageTraces/{id}/getDetailsByRecipient(recipientAddress='…'): the event
// history of one row, derived from its status timeline so that details never contradict the row's status.
import { createHash } from 'node:crypto';
import { graphError, type SimRequest, type SimResponse } from '../http-types.ts';
import type { TraceStatus } from '../model.ts';
import type { IndexedTraceRow, TenantIndex } from './indexes.ts';
import { formatTimestamp } from './trace-query.ts';

interface TraceEvent {
  event: string;
  action: string;
  description: string;
}

/** The events a status step adds to the history; transient 'gettingStatus' adds none beyond Receive. */
const EVENTS_BY_STATUS: Record<TraceStatus, TraceEvent[]> = {
  gettingStatus: [],
  pending: [
    {
      event: 'Defer',
      action: '',
      description: 'The message was temporarily deferred; delivery will be retried.',
    },
  ],
  delivered: [{ event: 'Deliver', action: '', description: 'The message was successfully delivered.' }],
  failed: [
    {
      event: 'Fail',
      action: '',
      description:
        'Reason: [{LED=550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup}]',
    },
  ],
  expanded: [{ event: 'Expand', action: '', description: 'The distribution group was expanded.' }],
  quarantined: [
    { event: 'Spam', action: 'Quarantine', description: 'The message was marked as spam.' },
    { event: 'Quarantine', action: '', description: 'The message was sent to quarantine.' },
  ],
  filteredAsSpam: [
    { event: 'Spam', action: 'MoveToJmf', description: 'The message was marked as spam.' },
    { event: 'Deliver', action: '', description: 'The message was delivered to the Junk Email folder.' },
  ],
  recalled: [{ event: 'Recall', action: '', description: 'The message was recalled by the sender.' }],
};

const xmlAttribute = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function serverName(id: string): string {
  const digest = createHash('sha256').update(id).digest('hex').toUpperCase();
  return `${digest.slice(0, 2)}0PR${digest.slice(2, 4)}MB${digest.slice(4, 8)}.eurprd${digest.slice(8, 10)}.prod.outlook.com`;
}

function eventData(entry: IndexedTraceRow, event: string): string {
  const row = entry.row;
  const meps: [string, string][] = [
    ['ClientIP', row.fromIP],
    ['ReturnPath', row.senderAddress],
    [
      'Directionality',
      // Exchange marks mail sent from inside the organisation (outbound or internal) as Originating.
      row.direction === 'inbound' ? 'Incoming' : 'Originating',
    ],
    ['MessageSize', String(row.size)],
    ['EventKind', event],
  ];
  return `<root>${meps.map(([name, value]) => `<MEP Name="${name}" String="${xmlAttribute(value)}" />`).join('')}</root>`;
}

/** Parses `getDetailsByRecipient(recipientAddress='…')`; undefined when the segment is not that function call. */
export function parseDetailsSegment(segment: string): { recipientAddress: string } | 'malformed' | undefined {
  const call = /^getDetailsByRecipient\((.*)\)$/is.exec(segment);
  if (!call) return undefined;
  const argument = /^\s*recipientAddress\s*=\s*'((?:[^']|'')*)'\s*$/i.exec(call[1] as string);
  if (!argument) return 'malformed';
  return { recipientAddress: (argument[1] as string).replaceAll("''", "'") };
}

export function getDetailsByRecipient(
  req: SimRequest,
  index: TenantIndex,
  traceId: string,
  recipientAddress: string,
): SimResponse {
  const nowMs = req.now.getTime();
  const recipientLower = recipientAddress.toLowerCase();
  const entry = (index.tracesById.get(traceId.toLowerCase()) ?? []).find(
    (e) => e.recipientLower === recipientLower && e.visibleMs <= nowMs,
  );
  if (!entry) {
    return graphError(
      req,
      404,
      'ResourceNotFound',
      `No message trace with id '${traceId}' was found for recipient '${recipientAddress}'.`,
    );
  }
  const events: { at: number; event: TraceEvent }[] = [
    {
      at: entry.t,
      event: {
        event: 'Receive',
        action: '',
        description: `Message received by: ${serverName(entry.row.id)}`,
      },
    },
  ];
  for (const step of entry.steps) {
    if (step.fromMs > nowMs) break;
    for (const event of EVENTS_BY_STATUS[step.status])
      events.push({ at: Math.max(step.fromMs, entry.t), event });
  }
  return {
    status: 200,
    body: {
      '@odata.context': `${req.baseUrl}/$metadata#Collection(microsoft.graph.exchangeMessageTraceDetail)`,
      value: events.map(({ at, event }) => ({
        ...(req.version === 'beta' ? { '@odata.type': '#microsoft.graph.exchangeMessageTraceDetail' } : {}),
        id: entry.row.id,
        messageId: entry.row.messageId,
        dateTime: formatTimestamp(at),
        event: event.event,
        action: event.action,
        description: event.description,
        data: eventData(entry, event.event),
      })),
    },
  };
}
