import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Copy, MailboxOutcome } from '../../src/investigate/model.ts';
import { normalizeTraceStatus, type ReconcileInput, reconcile } from '../../src/investigate/reconcile.ts';

const copy = (folderName: string | null, isRead: boolean, extra: Partial<Copy> = {}): Copy => ({
  internetMessageId: '<m@x.com>',
  graphId: `g-${folderName}-${isRead}`,
  folderId: 'f',
  folderName,
  receivedDateTime: '2026-01-14T08:00:00Z',
  isRead,
  subject: 's',
  from: 'a@x.com',
  ...extra,
});

type Side = ReconcileInput['mailbox'];
const found = (...copies: Copy[]): Side => ({ mailbox: { address: 'u@x.com' }, outcome: 'found', copies });
const notFound: Side = { mailbox: { address: 'u@x.com' }, outcome: 'notFound', copies: [] };
const skipped = (reason: MailboxOutcome['reason'], extra: Partial<MailboxOutcome> = {}): Side => ({
  mailbox: { address: 'u@x.com', ...(extra.mailbox ?? {}) },
  outcome: 'notSearched',
  ...(reason ? { reason } : {}),
  copies: [],
  ...(extra.detail ? { detail: extra.detail } : {}),
  ...(extra.requestId ? { requestId: extra.requestId } : {}),
});

const cases: [string, ReconcileInput, string][] = [
  [
    'delivered, one copy moved',
    { traceConsulted: true, traceStatus: 'delivered', mailbox: found(copy('Deleted Items', true)) },
    'delivered → now in Deleted Items, read',
  ],
  [
    'beta casing',
    { traceConsulted: true, traceStatus: 'Delivered', mailbox: found(copy('Inbox', false)) },
    'delivered → now in Inbox, unread',
  ],
  [
    'two copies',
    {
      traceConsulted: true,
      traceStatus: 'delivered',
      mailbox: found(copy('Inbox', false), copy('Deleted Items', true)),
    },
    'delivered → 2 copies: Inbox (unread), Deleted Items (read)',
  ],
  [
    'quarantined, absent',
    { traceConsulted: true, traceStatus: 'quarantined', mailbox: notFound },
    'quarantined → not in mailbox (expected)',
  ],
  [
    'failed, absent',
    { traceConsulted: true, traceStatus: 'failed', mailbox: notFound },
    'failed → not in mailbox (expected)',
  ],
  [
    'recalled, absent',
    { traceConsulted: true, traceStatus: 'recalled', mailbox: notFound },
    'recalled → not in mailbox (expected)',
  ],
  [
    'spam in junk',
    { traceConsulted: true, traceStatus: 'filteredAsSpam', mailbox: found(copy('Junk Email', false)) },
    'filteredAsSpam → in Junk Email, unread',
  ],
  [
    'spam in localized junk, known by well-known name',
    {
      traceConsulted: true,
      traceStatus: 'FilteredAsSpam',
      mailbox: found(copy('Courrier indésirable', true, { wellKnownName: 'junkemail' })),
    },
    'filteredAsSpam → in Courrier indésirable, read',
  ],
  [
    'delivered, purged',
    { traceConsulted: true, traceStatus: 'delivered', mailbox: notFound },
    'delivered → not found (moved to archive or purged)',
  ],
  [
    'pending, absent',
    { traceConsulted: true, traceStatus: 'pending', mailbox: notFound },
    'pending → not found (delivery may still be in progress)',
  ],
  [
    'copy outside the trace',
    { traceConsulted: true, traceStatus: undefined, mailbox: found(copy('Inbox', false)) },
    'not in trace → found: in Inbox, unread (forwarded, BCC or journal copy?)',
  ],
  [
    'not a recipient',
    { traceConsulted: true, traceStatus: undefined, mailbox: notFound },
    'not in trace → not found',
  ],
  [
    'access policy',
    { traceConsulted: true, traceStatus: 'delivered', mailbox: skipped('accessDenied') },
    'delivered → not searched: excluded by application access policy',
  ],
  [
    'guest',
    {
      traceConsulted: true,
      traceStatus: 'delivered',
      mailbox: skipped('noMailbox', { mailbox: { address: 'g@x.com', kind: 'guest' } }),
    },
    'delivered → not searched: guest account (no mailbox in this tenant)',
  ],
  [
    'no mailbox',
    { traceConsulted: true, traceStatus: 'delivered', mailbox: skipped('noMailbox') },
    'delivered → not searched: no Exchange Online mailbox',
  ],
  [
    'error with request id',
    {
      traceConsulted: true,
      traceStatus: 'delivered',
      mailbox: skipped('error', { detail: '500 InternalServerError', requestId: 'r-1' }),
    },
    'delivered → not searched: error (500 InternalServerError), request-id r-1',
  ],
  [
    'throttled',
    { traceConsulted: false, traceStatus: undefined, mailbox: skipped('throttled') },
    'not searched: throttled past the retry budget',
  ],
  [
    'cancelled',
    { traceConsulted: false, traceStatus: undefined, mailbox: skipped('cancelled') },
    'not searched: run cancelled before this mailbox was searched',
  ],
  [
    'expanded group row',
    { traceConsulted: true, traceStatus: 'expanded', mailbox: undefined },
    'expanded (distribution group)',
  ],
  [
    'quarantine released',
    { traceConsulted: true, traceStatus: 'quarantined', mailbox: found(copy('Inbox', false)) },
    'quarantined → now in Inbox, unread (released from quarantine?)',
  ],
  [
    'recoverable items',
    {
      traceConsulted: true,
      traceStatus: 'delivered',
      mailbox: found(copy('Deletions', true, { wellKnownName: 'recoverableitemsdeletions' })),
    },
    'delivered → now in Recoverable Items (Deletions), read',
  ],
  [
    'unnamed folder',
    { traceConsulted: false, traceStatus: undefined, mailbox: found(copy(null, true)) },
    'now in an unresolved folder, read',
  ],
  ['sweep only, absent', { traceConsulted: false, traceStatus: undefined, mailbox: notFound }, 'not found'],
  [
    'trace row, mailbox outside scope',
    { traceConsulted: true, traceStatus: 'delivered', mailbox: undefined },
    'delivered → mailbox not in the searched scope',
  ],
];

describe('reconcile', () => {
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(reconcile(input), expected));
  }
});

describe('normalizeTraceStatus', () => {
  it('maps both API casings to the v1.0 one', () => {
    assert.deepEqual(
      ['Delivered', 'delivered', 'FilteredAsSpam', 'GettingStatus', ' failed '].map(normalizeTraceStatus),
      ['delivered', 'delivered', 'filteredAsSpam', 'gettingStatus', 'failed'],
    );
  });
});
