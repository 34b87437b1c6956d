// The simulator's router on a large tenant answers what a small one does: the indexes built for speed must
// not lose, duplicate or misorder anything at scale. Behaviour only; how fast is bench/simulator-router.ts.
// 1,000 users and 14,000 trace rows in `npm test`; 50,000 users and 700,000 rows under
// MAILTRACE_RELIABILITY=full (the tenant bench/simulator-router.ts measures).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { largeTenant } from '../../bench/lib/large-tenant.ts';
import { CAMPAIGN_ID, call, follow, routerFor } from '../simulator/resources/helpers.ts';
import { size } from './harness.ts';

const USERS = size(1_000, 50_000);
const ROWS = USERS * 14;
const PATH = '/admin/exchange/tracing/messageTraces';
const WINDOW = 'receivedDateTime ge 2026-02-20T12:00:00Z and receivedDateTime le 2026-03-01T12:00:00Z';
/** 200 users for the per-mailbox and per-recipient checks, stepped by a prime so that they span the tenant. */
const SAMPLE = Array.from({ length: 200 }, (_, k) => (k * 7919) % USERS);

type Row = Record<string, unknown>;
const key = (r: Row) => `${r.id as string}/${r.recipientAddress as string}`;

/** The service's page order: receivedDateTime desc, then recipientAddress, then id. */
function inPageOrder(a: Row, b: Row): boolean {
  const [ta, tb] = [a.receivedDateTime as string, b.receivedDateTime as string];
  if (ta !== tb) return ta > tb;
  const [ra, rb] = [a.recipientAddress as string, b.recipientAddress as string];
  if (ra !== rb) return ra < rb;
  return (a.id as string) < (b.id as string);
}

describe(`simulator router on a ${USERS.toLocaleString('en-US')}-user, ${ROWS.toLocaleString('en-US')}-row tenant`, () => {
  const tenant = largeTenant(USERS, ROWS);
  const router = routerFor(tenant);

  it('finds exactly each mailbox\'s own copies by internetMessageId', () => {
    assert.ok(SAMPLE.some((i) => i % 10 === 0) && SAMPLE.some((i) => i % 10 !== 0));
    const select = 'id,internetMessageId,parentFolderId,receivedDateTime';
    for (const i of SAMPLE) {
      const path = `/users/user${i}@contoso.com/messages`;
      const campaign = call(router, { path, query: { $filter: `internetMessageId eq '${CAMPAIGN_ID}'`, $select: select } });
      assert.equal(campaign.status, 200);
      assert.deepEqual(
        campaign.body.value?.map((m) => m.id),
        i % 10 === 0 ? [`c-${i}-1`] : [],
        `user${i}`,
      );
      const deleted = call(router, {
        path,
        query: { $filter: `internetMessageId eq '<n${i}@contoso.com>'`, $select: select },
      });
      assert.deepEqual(deleted.body.value?.map((m) => m.id), [`c-${i}-2`], `user${i}`);
      // Another mailbox's message id finds nothing here.
      const other = call(router, {
        path,
        query: { $filter: `internetMessageId eq '<n${(i + 1) % USERS}@contoso.com>'`, $select: select },
      });
      assert.deepEqual(other.body.value, [], `user${i}`);
    }
  });

  it('pages the whole window in 1,000-row pages: every row once, in page order, then no nextLink', () => {
    const first = call(router, { path: PATH, query: { $filter: WINDOW } });
    assert.equal(first.status, 200);
    assert.equal(first.body.value?.length, 1000);
    const seen = new Set<string>();
    let previous: Row | undefined;
    let pages = 0;
    let reply = first;
    for (;;) {
      pages++;
      const value = reply.body.value ?? [];
      const link = reply.body['@odata.nextLink'] as string | undefined;
      if (link) assert.equal(value.length, 1000, `page ${pages}`);
      for (const row of value) {
        const k = key(row);
        assert.ok(!seen.has(k), `${k} served twice (page ${pages})`);
        seen.add(k);
        if (previous) assert.ok(inPageOrder(previous, row), `${key(previous)} before ${k} (page ${pages})`);
        previous = row;
      }
      if (!link) break;
      reply = follow(router, link);
      assert.equal(reply.status, 200, `page ${pages + 1}`);
    }
    assert.equal(seen.size, ROWS);
    assert.equal(pages, Math.ceil(ROWS / 1000));
  });

  it('filters by recipient: exactly that recipient\'s rows, in page order', () => {
    const wanted = new Map(SAMPLE.map((i) => [`user${i}@contoso.com`, [] as string[]]));
    for (const r of tenant.traces) wanted.get(r.recipientAddress)?.push(`${r.id}/${r.recipientAddress}`);
    for (const [recipient, expected] of wanted) {
      const reply = call(router, { path: PATH, query: { $filter: `${WINDOW} and recipientAddress eq '${recipient}'` } });
      assert.equal(reply.status, 200);
      const got = reply.body.value ?? [];
      assert.equal(got.length, ROWS / USERS, recipient);
      assert.deepEqual(new Set(got.map(key)), new Set(expected), recipient);
      for (let k = 1; k < got.length; k++) assert.ok(inPageOrder(got[k - 1]!, got[k]!), recipient);
    }
  });
});
