// The router must stay fast on a large tenant: 50,000 users and 700,000 trace rows. Bounds are loose enough
// for a slow CI machine yet fail on any accidental full scan per request.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SimTraceRow } from '../../../src/simulator/model.ts';
import { baseTenant, CAMPAIGN_ID, call, copy, NOW, routerFor, user } from './helpers.ts';

const USERS = 50_000;
const ROWS = 700_000;

function largeTenant() {
  const tenant = baseTenant();
  tenant.users = Array.from({ length: USERS }, (_, i) => user(`u-${i}`, `user${i}`));
  tenant.copies = tenant.users.flatMap((u, i) => [
    copy(u.id, `c-${i}-1`, 'inbox', {
      internetMessageId: i % 10 === 0 ? CAMPAIGN_ID : `<m${i}@contoso.com>`,
    }),
    copy(u.id, `c-${i}-2`, 'deleteditems', { internetMessageId: `<n${i}@contoso.com>` }),
  ]);
  const spanMs = 9 * 86_400_000;
  const endMs = NOW.getTime();
  tenant.traces = Array.from({ length: ROWS }, (_, i): SimTraceRow => {
    const received = new Date(endMs - Math.floor(((i / ROWS) * spanMs) / 1000) * 1000)
      .toISOString()
      .replace(/\.000Z$/, 'Z');
    return {
      id: `trace-${Math.floor(i / 2)}`,
      messageId: `<trace-${Math.floor(i / 2)}@contoso.com>`,
      senderAddress: 'sender@fabrikam.com',
      recipientAddress: `user${i % USERS}@contoso.com`,
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
  return tenant;
}

function timePerCall(run: (i: number) => void, count: number): number {
  for (let i = 0; i < Math.min(count, 20); i++) run(i); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) run(i);
  return Number(process.hrtime.bigint() - started) / 1e6 / count;
}

describe('performance on a 50,000-user, 700,000-row tenant', () => {
  const tenant = largeTenant();
  const buildStarted = process.hrtime.bigint();
  const router = routerFor(tenant);
  const buildMs = Number(process.hrtime.bigint() - buildStarted) / 1e6;

  it('builds its indexes once, in seconds', () => {
    console.log(`index build: ${buildMs.toFixed(0)} ms`);
    // About 2.5 s on an idle 2-core machine; the bound leaves room for a loaded CI runner.
    assert.ok(buildMs < 30_000, `index build took ${buildMs} ms`);
  });

  it('serves a mailbox search in well under a millisecond', () => {
    const query = {
      $filter: `internetMessageId eq '${CAMPAIGN_ID}'`,
      $select: 'id,internetMessageId,parentFolderId,receivedDateTime',
    };
    let found = 0;
    const ms = timePerCall((i) => {
      const reply = call(router, { path: `/users/user${(i * 37) % USERS}@contoso.com/messages`, query });
      found += reply.body.value?.length ?? 0;
    }, 2000);
    console.log(`mailbox search: ${(ms * 1000).toFixed(0)} µs per request`);
    assert.ok(found > 0);
    assert.ok(ms < 0.5, `mailbox search took ${ms} ms`);
  });

  it('serves a 1000-row trace page in a few milliseconds, also deep into the window', () => {
    const filter = 'receivedDateTime ge 2026-02-20T12:00:00Z and receivedDateTime le 2026-03-01T12:00:00Z';
    const first = call(router, { path: '/admin/exchange/tracing/messageTraces', query: { $filter: filter } });
    assert.equal(first.body.value?.length, 1000);
    const firstMs = timePerCall(
      () => call(router, { path: '/admin/exchange/tracing/messageTraces', query: { $filter: filter } }),
      50,
    );
    const next = new URL(first.body['@odata.nextLink'] as string);
    const nextMs = timePerCall(
      () => call(router, { path: '/admin/exchange/tracing/messageTraces', rawQuery: next.search.slice(1) }),
      50,
    );
    const byRecipientMs = timePerCall(
      (i) =>
        call(router, {
          path: '/admin/exchange/tracing/messageTraces',
          query: { $filter: `${filter} and recipientAddress eq 'user${i}@contoso.com'` },
        }),
      200,
    );
    console.log(
      `trace page: first ${firstMs.toFixed(2)} ms, next ${nextMs.toFixed(2)} ms, by recipient ${byRecipientMs.toFixed(3)} ms`,
    );
    assert.ok(firstMs < 25 && nextMs < 25 && byRecipientMs < 5, `${firstMs} / ${nextMs} / ${byRecipientMs}`);
  });
});
