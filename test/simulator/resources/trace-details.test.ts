import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseTenant, call, errorCode, NOW, routerFor, traceRow } from './helpers.ts';

const HOUR = 3_600_000;
const at = (hoursBeforeNow: number) =>
  new Date(NOW.getTime() - hoursBeforeNow * HOUR).toISOString().replace(/\.000Z$/, 'Z');
const details = (id: string, address: string) =>
  `/admin/exchange/tracing/messageTraces/${id}/getDetailsByRecipient(recipientAddress=${encodeURIComponent(`'${address}'`)})`;

function detailsTenant() {
  const tenant = baseTenant();
  tenant.traces = [
    traceRow('7e3b2b2e-1b5e-4b17-80cc-2af6c1d9a3b1', 'robert@contoso.com', at(3), [
      ['gettingStatus', at(3)],
      ['delivered', at(2.9)],
    ]),
    traceRow('aaaa', 'adele@contoso.com', at(3), [['filteredAsSpam', at(3)]], { fromIP: '198.51.100.9' }),
    traceRow('bbbb', 'dora@contoso.com', at(3), [
      ['pending', at(3)],
      ['failed', at(-1)],
    ]),
    traceRow('cccc', 'q@contoso.com', at(3), [['quarantined', at(3)]], { subject: 'a "quoted" <subject>' }),
    traceRow('dddd', 'hidden@contoso.com', at(3), undefined, { visibleFrom: at(-1) }),
  ];
  return tenant;
}

const events = (reply: ReturnType<typeof call>) => (reply.body.value ?? []).map((e) => e.event);

describe('getDetailsByRecipient', () => {
  const router = routerFor(detailsTenant());

  it('lists Receive then the events of the row’s status history', () => {
    const reply = call(router, {
      path: details('7e3b2b2e-1b5e-4b17-80cc-2af6c1d9a3b1', 'Robert@contoso.com'),
    });
    assert.equal(reply.status, 200);
    assert.equal(
      reply.body['@odata.context'],
      'https://127.0.0.1:8443/v1.0/$metadata#Collection(microsoft.graph.exchangeMessageTraceDetail)',
    );
    assert.deepEqual(events(reply), ['Receive', 'Deliver']);
    const [receive, deliver] = reply.body.value ?? [];
    assert.equal(receive?.id, '7e3b2b2e-1b5e-4b17-80cc-2af6c1d9a3b1');
    assert.equal(receive?.messageId, '<7e3b2b2e-1b5e-4b17-80cc-2af6c1d9a3b1@contoso.com>');
    assert.equal(receive?.dateTime, at(3));
    assert.equal(deliver?.dateTime, at(2.9));
    assert.match(String(receive?.data), /^<root>(<MEP Name="[A-Za-z]+" String="[^"]*" \/>)+<\/root>$/);
    assert.equal(typeof deliver?.description, 'string');
    assert.equal(deliver?.action, '');
  });

  it('stays consistent with spam, pending, failed and quarantined rows', () => {
    assert.deepEqual(events(call(router, { path: details('aaaa', 'adele@contoso.com') })), [
      'Receive',
      'Spam',
      'Deliver',
    ]);
    assert.deepEqual(events(call(router, { path: details('bbbb', 'dora@contoso.com') })), [
      'Receive',
      'Defer',
    ]);
    const later = new Date(NOW.getTime() + 2 * HOUR);
    assert.deepEqual(events(call(router, { path: details('bbbb', 'dora@contoso.com'), now: later })), [
      'Receive',
      'Defer',
      'Fail',
    ]);
    assert.deepEqual(events(call(router, { path: details('cccc', 'q@contoso.com') })), [
      'Receive',
      'Spam',
      'Quarantine',
    ]);
  });

  it('answers 404 for an unknown id, another recipient, or a row not yet visible', () => {
    for (const path of [
      details('zzzz', 'adele@contoso.com'),
      details('aaaa', 'bob@contoso.com'),
      details('dddd', 'hidden@contoso.com'),
    ]) {
      const reply = call(router, { path });
      assert.equal(reply.status, 404, path);
      assert.equal(errorCode(reply), 'ResourceNotFound');
    }
  });

  it('answers 400 without a quoted recipientAddress, and types items on beta', () => {
    const malformed = call(router, {
      path: '/admin/exchange/tracing/messageTraces/aaaa/getDetailsByRecipient(address=1)',
    });
    assert.equal(malformed.status, 400);
    const beta = call(router, { path: details('aaaa', 'adele@contoso.com'), version: 'beta' });
    assert.equal(beta.body.value?.[0]?.['@odata.type'], '#microsoft.graph.exchangeMessageTraceDetail');
  });
});
