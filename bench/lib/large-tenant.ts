// The large tenant the router benchmark measures and the scale reliability test checks: built directly (no
// generator), so its shape is exact and the same at every size.
import type { SimMailboxCopy, SimTraceRow, SimUser, Tenant } from '../../src/simulator/model.ts';

export const NOW = new Date('2026-03-01T12:00:00Z');
export const CAMPAIGN_ID = '<phish-2026.03.01@evil.example>';

function benchUser(i: number): SimUser {
  return {
    id: `u-${i}`,
    userPrincipalName: `user${i}@contoso.com`,
    displayName: `User ${i}`,
    mail: `user${i}@contoso.com`,
    userType: 'Member',
    accountEnabled: true,
    mailbox: 'exchangeOnline',
    mailboxKind: 'user',
    excludedByAccessPolicy: false,
  };
}

function benchCopy(mailboxUserId: string, graphId: string, folder: string, internetMessageId: string) {
  const copy: SimMailboxCopy = {
    mailboxUserId,
    graphId,
    internetMessageId,
    folder,
    subject: 'Invoice overdue',
    from: { name: 'Billing', address: 'billing@evil.example' },
    sender: { name: 'Billing', address: 'billing@evil.example' },
    toRecipients: [{ name: 'Adele', address: 'adele@contoso.com' }],
    receivedDateTime: '2026-03-01T09:00:00Z',
    isRead: false,
    hasAttachments: true,
  };
  return copy;
}

/**
 * `users` mailboxes with two copies each (every tenth inbox holds the campaign) and `rows` trace rows spread over
 * the 9 days before NOW, two recipients per message.
 */
export function largeTenant(userCount: number, rowCount: number): Tenant {
  const users = Array.from({ length: userCount }, (_, i) => benchUser(i));
  const copies = users.flatMap((u, i) => [
    benchCopy(u.id, `c-${i}-1`, 'inbox', i % 10 === 0 ? CAMPAIGN_ID : `<m${i}@contoso.com>`),
    benchCopy(u.id, `c-${i}-2`, 'deleteditems', `<n${i}@contoso.com>`),
  ]);
  const spanMs = 9 * 86_400_000;
  const endMs = NOW.getTime();
  const traces = Array.from({ length: rowCount }, (_, i): SimTraceRow => {
    const received = new Date(endMs - Math.floor(((i / rowCount) * spanMs) / 1000) * 1000)
      .toISOString()
      .replace(/\.000Z$/, 'Z');
    return {
      id: `trace-${Math.floor(i / 2)}`,
      messageId: `<trace-${Math.floor(i / 2)}@contoso.com>`,
      senderAddress: 'sender@fabrikam.com',
      recipientAddress: `user${i % userCount}@contoso.com`,
      receivedDateTime: received,
      subject: `Message ${i}`,
      size: 1000 + i,
      fromIP: '203.0.113.7',
      toIP: '',
      visibleFrom: received,
      statusTimeline: [{ status: 'delivered', from: received }],
      direction: 'inbound',
    };
  });
  return {
    schemaVersion: 1,
    seed: 7,
    tenantId: '11111111-2222-3333-4444-555555555555',
    displayName: 'Contoso',
    domains: ['contoso.com', 'contoso.onmicrosoft.com'],
    anchor: NOW.toISOString(),
    messageTraceServicePrincipal: true,
    apps: [],
    users,
    groups: [],
    traces,
    copies,
    customFolders: [],
    campaign: null,
  };
}
