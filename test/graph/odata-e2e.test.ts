// OData literals and percent-encoding end to end: message ids holding every character a careless client breaks
// (' + # & % < > and non-ASCII), searched in a mailbox (direct GET and $batch) and in message trace through the
// real client against the simulator. Each id has a decoy that a wrong encoding would match instead: '+' sent raw
// becomes a space, '%41' decoded twice becomes 'A', '#' sent raw cuts the query at a fragment, '&' splits it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { batch } from '../../src/graph/batch.ts';
import { createGraphClient, type GraphClient } from '../../src/graph/client.ts';
import { sleep } from '../../src/graph/clock.ts';
import { searchItem } from '../../src/investigate/search-requests.ts';
import { ControllableClock } from '../../src/simulator/clock.ts';
import type { SimMailboxCopy, SimTraceRow, Tenant } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { searchTraces } from '../../src/trace/search.ts';
import { ANCHOR, CLIENT_ID, SECRET, TENANT_ID, testTenant } from './tenant-fixture.ts';

const ADELE = 'aaaaaaaa-0000-4000-8000-000000000001';
const RECEIVED = '2026-01-15T08:00:00Z';

/** Each awkward id with the id a mis-encoding would look up instead. */
const CASES: { what: string; id: string; decoy: string }[] = [
  { what: 'apostrophe', id: "<o'brien.1@fabrikam.com>", decoy: '<obrien.1@fabrikam.com>' },
  { what: 'plus', id: '<a+b.2@fabrikam.com>', decoy: '<a b.2@fabrikam.com>' },
  { what: 'hash', id: '<a#b.3@fabrikam.com>', decoy: '<a@fabrikam.com>' },
  { what: 'ampersand', id: '<a&b=c.4@fabrikam.com>', decoy: '<a.4@fabrikam.com>' },
  { what: 'percent', id: '<a%41b.5@fabrikam.com>', decoy: '<aAb.5@fabrikam.com>' },
  { what: 'angle brackets inside', id: '<a<b>c.6@fabrikam.com>', decoy: '<a.6@fabrikam.com>' },
  { what: 'non-ASCII', id: '<réunion-日本.7@fabrikam.com>', decoy: '<reunion.7@fabrikam.com>' },
];

function graphIdOf(messageId: string): string {
  return 'AAMk' + Buffer.from(messageId).toString('base64url');
}

function copyOf(messageId: string): SimMailboxCopy {
  const sender = { name: 'Fabrikam', address: 'billing@fabrikam.com' };
  return {
    mailboxUserId: ADELE,
    graphId: graphIdOf(messageId),
    internetMessageId: messageId,
    folder: 'inbox',
    subject: `about ${messageId}`,
    from: sender,
    sender,
    toRecipients: [{ name: 'Adele Vance', address: 'adele@contoso.com' }],
    receivedDateTime: RECEIVED,
    isRead: false,
    hasAttachments: false,
  };
}

function traceOf(messageId: string, index: number): SimTraceRow {
  return {
    id: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
    messageId,
    senderAddress: 'billing@fabrikam.com',
    recipientAddress: 'adele@contoso.com',
    receivedDateTime: RECEIVED,
    subject: `about ${messageId}`,
    size: 4096,
    fromIP: '203.0.113.9',
    toIP: '',
    visibleFrom: RECEIVED,
    statusTimeline: [{ status: 'delivered', from: RECEIVED }],
    direction: 'inbound',
  };
}

function tenantWithAwkwardIds(): Tenant {
  const tenant = testTenant();
  const ids = CASES.flatMap((c) => [c.id, c.decoy]);
  tenant.copies = ids.map(copyOf);
  tenant.traces = ids.map(traceOf);
  return tenant;
}

describe('OData encoding of message ids, end to end against the simulator', () => {
  let sim: Simulator;
  let client: GraphClient;
  let simClock: ControllableClock;
  before(async () => {
    simClock = new ControllableClock(ANCHOR, 1);
    sim = await startSimulator({
      tenants: [tenantWithAwkwardIds()],
      router: createGraphRouter,
      latency: 'zero',
      clock: simClock,
    });
    client = createGraphClient({
      tenantId: TENANT_ID,
      clientId: CLIENT_ID,
      credential: { clientSecret: SECRET },
      authorityHost: sim.url,
      graphEndpoint: sim.url,
      caPem: sim.caCertPem,
      clock: { now: () => simClock.nowMs(), sleep },
      env: {},
    });
  });
  after(async () => {
    await client.close();
    await sim.close();
  });

  for (const { what, id } of CASES) {
    it(`finds exactly the one copy of an id with ${what} (direct GET)`, async () => {
      const item = searchItem(ADELE, 'messages', id, undefined, 'x');
      const response = await client.send<{ value: { id: string; internetMessageId: string }[] }>({
        method: 'GET',
        url: item.url,
      });
      assert.deepEqual(
        response.body.value.map((m) => [m.id, m.internetMessageId]),
        [[graphIdOf(id), id]],
      );
    });

    it(`finds exactly the one trace row of an id with ${what}`, async () => {
      const now = simClock.nowMs();
      const result = await searchTraces(
        { messageId: id },
        { send: client.send, from: now - 86_400_000, until: now, now, limit: 10 },
      );
      assert.deepEqual(
        result.rows.map((r) => r.messageId),
        [id],
      );
      assert.equal(result.invalid, 0);
    });
  }

  it('finds exactly the right copy for every id inside one $batch', async () => {
    const items = CASES.map((c, i) => searchItem(ADELE, 'messages', c.id, undefined, String(i + 1)));
    const found = new Map<string, string[]>();
    for await (const result of batch<{ value: { internetMessageId: string }[] }>(client.send, items)) {
      assert.ok(result.ok, result.ok ? '' : result.error.message);
      found.set(result.id, result.body.value.map((m) => m.internetMessageId));
    }
    for (const [i, c] of CASES.entries()) assert.deepEqual(found.get(String(i + 1)), [c.id], c.what);
  });
});
