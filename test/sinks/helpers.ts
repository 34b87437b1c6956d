import { type SinkEvent, sinkEventKey } from '../../src/sinks/types.ts';
import { toEcs } from '../../src/trace/ecs.ts';
import type { TraceRow } from '../../src/trace/model.ts';

export const TENANT = '11111111-2222-3333-4444-555555555555';

export function row(id: string, status = 'delivered', recipient = 'adele@contoso.com'): TraceRow {
  return {
    id,
    messageId: `<${id}@fabrikam.com>`,
    senderAddress: 'sender@fabrikam.com',
    recipientAddress: recipient,
    receivedDateTime: '2026-03-01T10:00:00Z',
    subject: `Subject ${id}`,
    size: 2048,
    fromIP: '203.0.113.9',
    toIP: '',
    status,
  };
}

export function event(id: string, status = 'delivered', previousStatus?: string): SinkEvent {
  const r = row(id, status);
  return {
    key: sinkEventKey(r),
    kind: previousStatus === undefined ? 'new' : 'statusChanged',
    ...(previousStatus !== undefined ? { previousStatus } : {}),
    row: r,
    ecs: toEcs(r, { tenantId: TENANT, acceptedDomains: ['contoso.com'] }),
    tenant: TENANT,
  };
}
