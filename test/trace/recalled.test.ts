// `recalled` is an evolvable enum member: Graph shows it only to clients that send
// `Prefer: include-unknown-enum-members`, on every page. The collector's window reader and the ad-hoc search
// must both receive it, through the real client against the simulator, across nextLinks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGraphClient, type GraphClient } from '../../src/graph/client.ts';
import { sleep } from '../../src/graph/clock.ts';
import { ControllableClock } from '../../src/simulator/clock.ts';
import type { SimTraceRow } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';
import { readWindow } from '../../src/trace/fetch-window.ts';
import { parseTraceRow } from '../../src/trace/model.ts';
import { searchTraces } from '../../src/trace/search.ts';
import { ANCHOR, CLIENT_ID, SECRET, TENANT_ID, testTenant } from '../graph/tenant-fixture.ts';

function recalledRow(index: number): SimTraceRow {
  const received = `2026-01-15T08:00:0${index}Z`;
  return {
    id: `00000000-0000-4000-8000-00000000000${index}`,
    messageId: `<recall.${index}@contoso.com>`,
    senderAddress: 'ceo@contoso.com',
    recipientAddress: 'adele@contoso.com',
    receivedDateTime: received,
    subject: 'Wrong attachment',
    size: 2048,
    fromIP: '198.51.100.4',
    toIP: '',
    visibleFrom: received,
    statusTimeline: [
      { status: 'delivered', from: received },
      { status: 'recalled', from: '2026-01-15T08:10:00Z' },
    ],
    direction: 'internal',
  };
}

describe('recalled rows arrive as recalled, not unknownFutureValue', () => {
  let sim: Simulator;
  let client: GraphClient;
  let simClock: ControllableClock;
  before(async () => {
    const tenant = testTenant();
    tenant.traces = [recalledRow(1), recalledRow(2), recalledRow(3)];
    simClock = new ControllableClock(ANCHOR, 1);
    sim = await startSimulator({ tenants: [tenant], router: createGraphRouter, latency: 'zero', clock: simClock });
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

  it('by the collector, on every page of a window', async () => {
    const statuses: string[] = [];
    const now = simClock.nowMs();
    const stats = await readWindow(
      { start: now - 86_400_000, end: Math.floor(now / 1000) * 1000 },
      {
        send: client.send,
        pageSize: 1,
        onPage: async (items) => {
          for (const item of items) statuses.push(parseTraceRow(item).status);
        },
      },
    );
    assert.equal(stats.pages, 3, 'one row per page: two nextLinks followed');
    assert.deepEqual(statuses, ['recalled', 'recalled', 'recalled']);
  });

  it('by the ad-hoc search, including a status filter on recalled', async () => {
    const now = simClock.nowMs();
    const options = { send: client.send, from: now - 86_400_000, until: now, now, limit: 10 };
    const all = await searchTraces({}, options);
    assert.deepEqual(
      all.rows.map((r) => r.status),
      ['recalled', 'recalled', 'recalled'],
    );
    const filtered = await searchTraces({ status: 'recalled' }, options);
    assert.equal(filtered.rows.length, 3);
  });
});
