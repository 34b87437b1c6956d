import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { compose } from '../../src/graph/client.ts';
import { GraphError } from '../../src/graph/errors.ts';
import { createHttpAgent } from '../../src/graph/http-agent.ts';
import { retryPlugin } from '../../src/graph/retry.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/graph/retry-policy.ts';
import { createTransport } from '../../src/graph/transport.ts';
import type { Clock } from '../../src/graph/types.ts';
import { graphErrorBody, type Handler, json, RecordingClock, startServer } from './helpers.ts';

const http = createHttpAgent({ env: {} });
after(() => http.close());

/** A server answering `script[i]` to the i-th request (the last entry repeats), and a retrying client for it. */
async function harness(
  handler: Handler,
  policy: Partial<RetryPolicy> = {},
  clock: Clock = new RecordingClock(),
) {
  const server = await startServer(handler);
  const transport = createTransport({ graphEndpoint: server.url, http, clock });
  const send = compose(
    [retryPlugin({ policy: { ...DEFAULT_RETRY_POLICY, ...policy }, clock, random: () => 0.5 })],
    transport,
  );
  return { server, send };
}

const throttled: Handler = (_req, res) =>
  json(
    res,
    429,
    graphErrorBody('ApplicationThrottled', 'Application is over its MailboxConcurrency limit.'),
    {
      'retry-after': '7',
    },
  );

describe('retryPlugin', () => {
  it('honours Retry-After in seconds exactly, then succeeds', async () => {
    const clock = new RecordingClock();
    const { server, send } = await harness(
      (req, res, i) => (i < 2 ? throttled(req, res, i) : json(res, 200, { ok: true })),
      {},
      clock,
    );
    try {
      const response = await send<{ ok: boolean }>({ method: 'GET', url: '/users/a/messages' });
      assert.equal(response.body.ok, true);
      assert.deepEqual(clock.sleeps, [7000, 7000]);
      assert.equal(server.requests.length, 3);
      const ids = new Set(server.requests.map((r) => r.headers['client-request-id']));
      assert.equal(ids.size, 1, 'one client-request-id across the retries of one request');
    } finally {
      await server.close();
    }
  });

  it('honours Retry-After as an HTTP date exactly (against the injected clock)', async () => {
    const clock = new RecordingClock(Date.parse('2026-01-15T10:00:00Z'));
    const { server, send } = await harness(
      (_req, res, i) =>
        i === 0
          ? json(res, 503, graphErrorBody('ServiceUnavailable'), {
              'retry-after': 'Thu, 15 Jan 2026 10:00:42 GMT',
            })
          : json(res, 200, {}),
      {},
      clock,
    );
    try {
      await send({ method: 'GET', url: '/users' });
      assert.deepEqual(clock.sleeps, [42_000]);
    } finally {
      await server.close();
    }
  });

  it('backs off exponentially with jitter when there is no Retry-After, and gives up after maxAttempts', async () => {
    const clock = new RecordingClock();
    const { server, send } = await harness(
      (_req, res) => json(res, 504, graphErrorBody('GatewayTimeout')),
      { maxAttempts: 4, baseDelayMs: 100, maxBackoffMs: 10_000 },
      clock,
    );
    try {
      await assert.rejects(send({ method: 'GET', url: '/users' }), (e: unknown) => {
        assert.ok(e instanceof GraphError);
        assert.equal(e.status, 504);
        return true;
      });
      assert.equal(server.requests.length, 4);
      assert.deepEqual(clock.sleeps, [50, 100, 200]); // random() = 0.5 of 100, 200, 400
    } finally {
      await server.close();
    }
  });

  it('does not retry a non-idempotent POST, but retries one marked idempotent', async () => {
    const { server, send } = await harness((req, res, i) =>
      i < 2 ? throttled(req, res, i) : json(res, 200, { ok: true }),
    );
    try {
      await assert.rejects(send({ method: 'POST', url: '/users/a/sendMail', body: {} }), { status: 429 });
      assert.equal(server.requests.length, 1);
      const ok = await send({ method: 'POST', url: '/$batch', body: { requests: [] }, idempotent: true });
      assert.equal(ok.status, 200);
      assert.equal(server.requests.length, 3);
    } finally {
      await server.close();
    }
  });

  it('does not retry client errors or 500', async () => {
    const { server, send } = await harness((_req, res, i) =>
      json(res, i === 0 ? 500 : 404, graphErrorBody(i === 0 ? 'UnknownError' : 'ResourceNotFound')),
    );
    try {
      await assert.rejects(send({ method: 'GET', url: '/a' }), { status: 500 });
      await assert.rejects(send({ method: 'GET', url: '/b' }), { status: 404 });
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  it('fails at once when Retry-After exceeds maxRetryAfterMs (no silent cap)', async () => {
    const clock = new RecordingClock();
    const { server, send } = await harness(
      (_req, res) => json(res, 429, graphErrorBody('TooManyRequests'), { 'retry-after': '3600' }),
      { maxRetryAfterMs: 60_000 },
      clock,
    );
    try {
      await assert.rejects(send({ method: 'GET', url: '/users' }), (e: unknown) => {
        assert.ok(e instanceof GraphError);
        assert.equal(e.retryAfterMs, 3_600_000);
        return true;
      });
      assert.equal(server.requests.length, 1);
      assert.deepEqual(clock.sleeps, []);
    } finally {
      await server.close();
    }
  });

  it('retries a connection reset (network error)', async () => {
    const clock = new RecordingClock();
    const { server, send } = await harness(
      (req, res, i) => {
        if (i === 0) {
          res.socket?.destroy();
          return;
        }
        json(res, 200, { ok: req.method });
      },
      {},
      clock,
    );
    try {
      const response = await send<{ ok: string }>({ method: 'GET', url: '/users' });
      assert.equal(response.body.ok, 'GET');
      assert.equal(server.requests.length, 2);
      assert.equal(clock.sleeps.length, 1);
    } finally {
      await server.close();
    }
  });

  it('stops waiting as soon as the caller aborts', async () => {
    const server = await startServer(throttled);
    const transport = createTransport({ graphEndpoint: server.url, http });
    // The real clock: a 7 s Retry-After wait must end as soon as the signal aborts.
    const send = compose([retryPlugin({ random: () => 0.5 })], transport);
    try {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(new Error('stop')), 100);
      await assert.rejects(send({ method: 'GET', url: '/users', signal: controller.signal }), /stop/);
      assert.ok(Date.now() - started < 2000, 'aborted promptly');
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });
});
