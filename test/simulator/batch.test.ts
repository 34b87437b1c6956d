import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBatch } from '../../src/simulator/batch.ts';
import { startTestSimulator, type TestSimulator, USER_ID } from './core-fixtures.ts';

type ItemResponse = { id: string; status: number; headers: Record<string, string>; body?: unknown };
type GraphErrorBody = { error: { code: string; message: string } };

async function postBatch(t: TestSimulator, requests: unknown[], version = 'v1.0') {
  const res = await t.request(`/${version}/$batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requests }),
  });
  return { status: res.status, body: (await res.json()) as { responses: ItemResponse[] } & GraphErrorBody };
}

const get = (id: string, url: string, extra: object = {}) => ({ id, method: 'GET', url, ...extra });

describe('$batch envelope validation', () => {
  it('rejects more than 20 requests, duplicate ids, missing fields, absolute URLs and bad dependsOn with 400', async () => {
    const t = await startTestSimulator();
    try {
      const twentyOne = Array.from({ length: 21 }, (_, i) => get(String(i + 1), '/users'));
      const invalid: [unknown[], RegExp][] = [
        [twentyOne, /20/],
        [[get('1', '/users'), get('1', '/users')], /duplicate/],
        [[{ method: 'GET', url: '/users' }], /id/],
        [[{ id: '1', url: '/users' }], /method/],
        [[{ id: '1', method: 'GET' }], /url/],
        [[get('1', 'https://graph.microsoft.com/v1.0/users')], /relative/],
        [[get('1', '/users', { dependsOn: ['9'] })], /unknown/],
        [[get('1', '/users', { dependsOn: ['2'] }), get('2', '/users', { dependsOn: ['1'] })], /circular/],
      ];
      for (const [requests, message] of invalid) {
        const { status, body } = await postBatch(t, requests);
        assert.equal(status, 400, JSON.stringify(requests).slice(0, 80));
        assert.equal(body.error.code, 'BadRequest');
        assert.match(body.error.message, message);
      }
      const twenty = await postBatch(t, twentyOne.slice(0, 20));
      assert.equal(twenty.status, 200);
      assert.equal(twenty.body.responses.length, 20);
    } finally {
      await t.close();
    }
  });

  it('parseBatch accepts urls with or without a leading slash and numeric ids', () => {
    const parsed = parseBatch({ requests: [{ id: 1, method: 'get', url: 'users' }] });
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.items[0], {
      id: '1',
      method: 'GET',
      url: 'users',
      headers: {},
      body: undefined,
      dependsOn: [],
    });
  });
});

describe('$batch execution', () => {
  it('runs items through the pipeline: per-item status, headers, bodies; dependsOn runs in order; 424 cascades', async () => {
    const t = await startTestSimulator();
    try {
      const { status, body } = await postBatch(
        t,
        [
          get('a', '/users'),
          get('b', `users/${USER_ID}/messages?$top=1`, {
            dependsOn: ['a'],
            headers: { 'client-request-id': 'item-b' },
          }),
          get('c', '/fail'),
          get('d', '/users', { dependsOn: ['c'] }),
          get('e', '/users', { dependsOn: ['d'] }),
          get('f', '/admin/exchange/tracing/messageTraces'),
        ],
        'beta',
      );
      assert.equal(status, 200);
      const byId = Object.fromEntries(body.responses.map((r) => [r.id, r]));
      assert.deepEqual(Object.fromEntries(Object.entries(byId).map(([id, r]) => [id, r.status])), {
        a: 200,
        b: 200,
        c: 404,
        d: 424,
        e: 424,
        f: 200,
      });
      assert.equal(byId.b?.headers['client-request-id'], 'item-b');
      // Documented casing: the official BatchResponseContent reads item bodies by 'Content-Type'.
      assert.match(byId.a?.headers['Content-Type'] ?? '', /^application\/json/);
      assert.equal(byId.a?.headers['content-type'], undefined);
      assert.match(byId.a?.headers['request-id'] ?? '', /^[0-9a-f-]{36}$/);
      assert.equal((byId.d!.body as GraphErrorBody).error.code, 'FailedDependency');
      const log = t.sim.stats.log.map((entry) => entry.path);
      assert.ok(log.indexOf('/users') < log.indexOf(`/users/${USER_ID}/messages?$top=1`), 'a ran before b');
      assert.ok(!log.includes('/users?') && t.sim.stats.batchItems === 4, 'd and e never ran');
    } finally {
      await t.close();
    }
  });

  it('gives throttled items their own 429 with Retry-After in the item headers (faults per batch item)', async () => {
    const t = await startTestSimulator({
      faults: { seed: 5, throttle429: 1, perBatchItem: true, exempt: /^\/\$batch$/ },
    });
    try {
      const { status, body } = await postBatch(t, [
        get('1', `/users/${USER_ID}/messages`),
        get('2', '/users'),
      ]);
      assert.equal(status, 200, 'the envelope succeeds');
      for (const item of body.responses) {
        assert.equal(item.status, 429);
        assert.match(item.headers['Retry-After'] ?? '', /^[123]$/);
        assert.equal((item.body as GraphErrorBody).error.code, 'TooManyRequests');
      }
      assert.equal(t.sim.stats.faults.throttle429, 2);
      // retrying the throttled mailbox item at once is a violation, in a batch too
      t.sim.setFaults({ seed: 5 });
      const again = await postBatch(t, [get('1', `/users/${USER_ID}/messages`)]);
      assert.equal(again.body.responses[0]?.status, 429);
      assert.equal(t.sim.stats.violations.retryAfterIgnored, 1);
    } finally {
      await t.close();
    }
  });

  it('runs at most 4 Outlook items of a batch at a time, whatever mailboxes they target, without violations', async () => {
    const t = await startTestSimulator({ latency: { messages: { minMs: 20, maxMs: 20 } } });
    try {
      await t.token();
      const sameMailbox = Array.from({ length: 12 }, (_, i) =>
        get(String(i), `/users/${USER_ID}/messages?i=${i}`),
      );
      const one = await postBatch(t, sameMailbox);
      assert.ok(one.body.responses.every((r) => r.status === 200));
      assert.equal(t.sim.stats.peakMailboxConcurrency, 4);
      assert.equal(t.sim.stats.peakBatchOutlookConcurrency, 4);

      // Spread over three mailboxes the bound stays 4 per batch (Microsoft Q&A 1660054), not 4 per mailbox.
      const spread = Array.from({ length: 12 }, (_, i) =>
        get(String(i), `/users/user${i % 3}@contoso.com/messages`),
      );
      const three = await postBatch(t, spread);
      assert.ok(three.body.responses.every((r) => r.status === 200));
      assert.equal(t.sim.stats.peakBatchOutlookConcurrency, 4);
      assert.equal(t.sim.stats.totalViolations(), 0);
    } finally {
      await t.close();
    }
  });

  it('counts batch items against the mailbox concurrency shared with top-level requests', async () => {
    const t = await startTestSimulator({ latency: { messages: { minMs: 300, maxMs: 300 } } });
    try {
      await t.token();
      const topLevel = Array.from({ length: 4 }, () => t.request(`/v1.0/users/${USER_ID}/messages`));
      await new Promise((r) => setTimeout(r, 100));
      const batch = await postBatch(t, [get('1', `/users/${USER_ID}/messages`)]);
      assert.equal(batch.body.responses[0]?.status, 429);
      assert.equal(t.sim.stats.violations.mailboxConcurrency, 1);
      for (const res of await Promise.all(topLevel)) assert.equal(res.status, 200);
    } finally {
      await t.close();
    }
  });

  it('shuffles the response order deterministically by seed', async () => {
    const orders: string[][] = [];
    for (let run = 0; run < 2; run++) {
      const t = await startTestSimulator({ faults: { seed: 77 } });
      try {
        const requests = Array.from({ length: 10 }, (_, i) => get(String(i), '/users'));
        orders.push((await postBatch(t, requests)).body.responses.map((r) => r.id));
      } finally {
        await t.close();
      }
    }
    assert.deepEqual(orders[0], orders[1]);
    assert.notDeepEqual(orders[0], ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });
});
