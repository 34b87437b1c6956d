// The Graph client issue's "Done when", end to end over HTTPS against the real simulator: 10,000 mailboxes probed
// through $batch while the service throws 429s (with and without Retry-After), 503s and connection resets at it.
// Every mailbox must end with exactly one correct result, and the simulator must see no limit broken and no
// request sent before its Retry-After. Time is scaled, not slept: Retry-After seconds pass in milliseconds.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { type BatchItem, type BatchResult, batch } from '../../src/graph/batch.ts';
import { createGraphClient, type GraphClient } from '../../src/graph/client.ts';
import { sleep } from '../../src/graph/clock.ts';
import { isAccessDeniedByPolicy, isNoMailbox } from '../../src/graph/errors.ts';
import { createLogger } from '../../src/graph/logger.ts';
import type { RetryPolicy } from '../../src/graph/retry-policy.ts';
import type { Clock, Logger } from '../../src/graph/types.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import type { FaultConfig } from '../../src/simulator/http-types.ts';
import { type SimUser, type Tenant, wellKnownFolderId } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { ControllableClock, type Simulator, startSimulator } from '../../src/simulator/server.ts';

/** Simulated ms per real ms: a 3 s Retry-After passes in 15 ms, a 30 s backoff ceiling in 150 ms. */
const SCALE = 200;

/** The fault mix: 30 % 429 (half with Retry-After), 10 % 503, connection resets; batch items too. */
const FAULTS: Partial<FaultConfig> = {
  seed: 20260115,
  throttle429: 0.15,
  throttle429NoRetryAfter: 0.15,
  unavailable503: 0.1,
  connectionReset: 0.05,
  perBatchItem: true,
  // Faults target Graph; Entra's token endpoint is another service with its own tests.
  exempt: /oauth2/,
};

/**
 * With ~45 % of attempts failing, the default 6 attempts would leave 0.45^6 ≈ 0.8 % of 10,000 items throttled
 * for good; 25 attempts make that ≈ 2e-9 so that "every result correct" tests the client, not luck.
 */
const PATIENT: Partial<RetryPolicy> = { maxAttempts: 25 };

interface Harness {
  tenant: Tenant;
  sim: Simulator;
  client: GraphClient;
  clock: Clock;
  secret: string;
}

async function startHarness(users: number, logger?: Logger): Promise<Harness> {
  const tenant = generateTenant({
    users,
    days: 1,
    seed: 7,
    anchor: '2026-01-15T10:00:00Z',
    messagesPerUserPerDay: 0,
  });
  const simClock = new ControllableClock(tenant.anchor, SCALE);
  const sim = await startSimulator({
    tenants: [tenant],
    router: createGraphRouter,
    latency: 'zero',
    clock: simClock,
    faults: FAULTS,
  });
  // The client lives on the simulator's time: it reads the sim clock and its sleeps are scaled down alike.
  const clock: Clock = {
    now: () => simClock.nowMs(),
    sleep: (ms, signal) => sleep(ms / SCALE, signal),
  };
  const app = tenant.apps[0]!;
  const secret = app.secrets.find((s) => Date.parse(s.expiresAt) > simClock.nowMs())!.value;
  const client = createGraphClient({
    tenantId: tenant.tenantId,
    clientId: app.clientId,
    credential: { clientSecret: secret },
    authorityHost: sim.url,
    graphEndpoint: sim.url,
    caPem: sim.caCertPem,
    clock,
    retry: PATIENT,
    env: {},
    ...(logger ? { logger } : {}),
  });
  return { tenant, sim, client, clock, secret };
}

async function stopHarness(h: Harness): Promise<void> {
  await h.client.close();
  await h.sim.close();
}

function probeItems(users: readonly SimUser[]): BatchItem[] {
  return users.map((user) => ({
    id: user.id,
    method: 'GET',
    url: `/users/${user.id}/mailFolders/inbox?$select=id`,
  }));
}

async function probe(h: Harness): Promise<BatchResult<{ id: string }>[]> {
  const results: BatchResult<{ id: string }>[] = [];
  const policy: RetryPolicy = {
    maxAttempts: PATIENT.maxAttempts!,
    baseDelayMs: 500,
    maxBackoffMs: 30_000,
    maxRetryAfterMs: 15 * 60_000,
  };
  for await (const result of batch<{ id: string }>(h.client.send, probeItems(h.tenant.users), {
    limiter: h.client.mailboxLimiter,
    clock: h.clock,
    policy,
    concurrency: 4,
  })) {
    results.push(result);
  }
  return results;
}

/** What the tenant says one probe must answer; returns a description of the mismatch, or undefined. */
function checkResult(user: SimUser, result: BatchResult<{ id: string }>): string | undefined {
  const searchable = user.mailbox === 'exchangeOnline' && !user.excludedByAccessPolicy && !user.unresolvable;
  if (searchable) {
    if (!result.ok) { if (!(globalThis as any).dbg) { (globalThis as any).dbg = 1; console.log(result.error, inspect(result.error.cause)); } return `expected the inbox, got ${result.error.status} ${result.error.code}`; }
    const expected = wellKnownFolderId(user.id, 'inbox');
    return result.body.id === expected ? undefined : `expected inbox id ${expected}, got ${result.body.id}`;
  }
  if (result.ok) return `expected an error for a ${user.userType} with mailbox '${user.mailbox}', got ${result.status}`;
  const error = result.error;
  if (user.unresolvable) return error.status === 404 && error.code === 'ErrorInvalidUser' ? undefined : `${error.code}`;
  if (user.mailbox !== 'exchangeOnline') return isNoMailbox(error) ? undefined : `not "no mailbox": ${error.code}`;
  return isAccessDeniedByPolicy(error) ? undefined : `not "denied by policy": ${error.code}`;
}

test('10,000 mailboxes through $batch under 429/503/reset faults: every result correct, no limit broken', async () => {
  const h = await startHarness(10_000);
  try {
    const started = performance.now();
    const results = await probe(h);
    const seconds = (performance.now() - started) / 1000;

    const byId = new Map<string, BatchResult<{ id: string }>>();
    for (const result of results) {
      assert.equal(byId.has(result.id), false, `mailbox ${result.id} got more than one final result`);
      byId.set(result.id, result);
    }
    assert.equal(results.length, h.tenant.users.length, 'one final result per mailbox');
    const wrong: string[] = [];
    const outcomes = { found: 0, noMailbox: 0, denied: 0, invalid: 0 };
    for (const user of h.tenant.users) {
      const result = byId.get(user.id);
      assert.ok(result, `no result for ${user.userPrincipalName}`);
      const mismatch = checkResult(user, result);
      if (mismatch) wrong.push(`${user.userPrincipalName}: ${mismatch}`);
      if (result.ok) outcomes.found++;
      else if (result.error.code === 'ErrorInvalidUser') outcomes.invalid++;
      else if (isNoMailbox(result.error)) outcomes.noMailbox++;
      else outcomes.denied++;
    }
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} wrong results`);
    // The tenant really has every kind of mailbox the probe must tell apart.
    assert.ok(outcomes.found > 8000 && outcomes.noMailbox > 0 && outcomes.denied > 0, JSON.stringify(outcomes));

    const { stats } = h.sim;
    assert.deepEqual(
      stats.violations,
      { mailboxConcurrency: 0, mailboxRate: 0, traceQuota: 0, retryAfterIgnored: 0 },
      'the simulator saw no Graph limit broken and no request before its Retry-After',
    );
    // The faults were really there, of every kind the issue names.
    assert.ok(stats.faults.throttle429 > 1000, `429 with Retry-After: ${stats.faults.throttle429}`);
    assert.ok(stats.faults.throttle429NoRetryAfter > 1000, `429 without: ${stats.faults.throttle429NoRetryAfter}`);
    assert.ok(stats.faults.unavailable503 > 500, `503: ${stats.faults.unavailable503}`);
    assert.ok(stats.faults.connectionReset > 10, `connection resets: ${stats.faults.connectionReset}`);
    assert.ok(stats.batchItems >= 10_000 * 1.5, `items were retried: ${stats.batchItems} executed`);
    assert.ok(stats.peakMailboxConcurrency <= 4);
    console.log(
      `# acceptance: ${results.length} mailboxes in ${seconds.toFixed(1)} s real, ` +
        `${stats.byEndpoint.batch ?? 0} $batch requests, ${stats.batchItems} items, ` +
        `faults ${JSON.stringify(stats.faults)}, outcomes ${JSON.stringify(outcomes)}`,
    );
  } finally {
    await stopHarness(h);
  }
});

const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/;

test('a faulted probe logged at debug level leaks neither the client secret nor any access token', async () => {
  const lines: string[] = [];
  const logger = createLogger({ debug: true, write: (line) => lines.push(line), env: {} });
  const h = await startHarness(300, logger);
  try {
    const results = await probe(h);
    assert.equal(results.length, h.tenant.users.length);
    const token = (await h.client.tokens.getToken()).token;
    assert.ok(JWT.test(token), 'the simulator issues JWT access tokens, so the pattern below can find one');

    // Everything a caller could print about the run: log lines and every error, in each of its renderings.
    const errors = results.flatMap((r) => (r.ok ? [] : [r.error]));
    assert.ok(errors.length > 0, 'the tenant has mailboxes that fail');
    const texts = [...lines, ...errors.flatMap((e) => [String(e), e.stack ?? '', inspect(e, { depth: 5 }), JSON.stringify(e)])];
    assert.ok(lines.some((l) => l.includes('"graph.retry"')), 'retries were logged at debug level');
    assert.ok(lines.some((l) => l.includes('"token.acquired"')), 'token acquisition was logged');
    for (const text of texts) {
      assert.equal(text.includes(h.secret), false, 'the client secret leaked');
      assert.equal(text.includes(token), false, 'the access token leaked');
      assert.equal(JWT.test(text), false, 'an access token leaked');
    }
  } finally {
    await stopHarness(h);
  }
});

test('a refused secret fails with an error that does not repeat the secret', async () => {
  const lines: string[] = [];
  const logger = createLogger({ debug: true, write: (line) => lines.push(line), env: {} });
  const h = await startHarness(30, logger);
  const wrongSecret = 'Wr0ng~ThisIsNotTheSecret.0123456789abcdefgh';
  const bad = createGraphClient({
    tenantId: h.tenant.tenantId,
    clientId: h.tenant.apps[0]!.clientId,
    credential: { clientSecret: wrongSecret },
    authorityHost: h.sim.url,
    graphEndpoint: h.sim.url,
    caPem: h.sim.caCertPem,
    clock: h.clock,
    logger,
    env: {},
  });
  try {
    const error = await bad.send({ method: 'GET', url: '/users?$top=1' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error, 'a wrong secret is refused');
    assert.match(error.message, /AADSTS7000215/, 'the error names the AADSTS code');
    for (const text of [...lines, String(error), error.stack ?? '', inspect(error, { depth: 5 }), JSON.stringify(error)]) {
      assert.equal(text.includes(wrongSecret), false, 'the secret leaked');
      assert.equal(text.includes(h.secret), false, 'the real secret leaked');
    }
  } finally {
    await bad.close();
    await stopHarness(h);
  }
});
