// The Graph client issue's "Done when", end to end over HTTPS against the real simulator: 10,000 mailboxes probed
// through $batch while the service throws 429s (with and without Retry-After), 503s and connection resets at it.
// Every mailbox must end with exactly one correct result, and the simulator must see no limit broken and no
// request sent before its Retry-After. Time is scaled, not slept: Retry-After seconds pass in milliseconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { type BatchItem, type BatchResult, batch } from '../../src/graph/batch.ts';
import { createGraphClient, type GraphClient } from '../../src/graph/client.ts';
import { sleep } from '../../src/graph/clock.ts';
import { isAccessDeniedByPolicy, isNoMailbox } from '../../src/graph/errors.ts';
import { createLogger } from '../../src/graph/logger.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/graph/retry-policy.ts';
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

/** The same mix on every batch item only: the $batch POSTs themselves always get through. */
const ITEM_FAULTS: Partial<FaultConfig> = { ...FAULTS, exempt: /oauth2|^\/\$batch$/i };

/** $batch POSTs the probe keeps in flight. */
const BATCH_CONCURRENCY = 4;

/**
 * When one of those POSTs is answered 429, the other three may already be on the wire (one per connection), and
 * under load each slot can turn over once more before the client reads the 429 (a batch completes or a
 * connection resets and is re-sent at once): the simulator presumes that many requests innocent per throttling
 * response, and counts every further request to the throttled endpoint, and any early retry of the throttled
 * request itself, as retryAfterIgnored. A client without the throttle gate still breaks this ~1,100 times.
 */
const IN_FLIGHT_ALLOWANCE = 2 * BATCH_CONCURRENCY;

/**
 * With ~45 % of attempts failing, the default 6 attempts would leave 0.45^6 ≈ 0.8 % of 10,000 items throttled
 * for good; 25 attempts make that ≈ 2e-9 so that "every result correct" tests the client, not luck.
 */
const PATIENT: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 25 };

interface Harness {
  tenant: Tenant;
  sim: Simulator;
  client: GraphClient;
  clock: Clock;
  secret: string;
}

async function startHarness(users: number, faults: Partial<FaultConfig>, logger?: Logger): Promise<Harness> {
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
    faults,
    limits: { retryAfterInFlightAllowance: IN_FLIGHT_ALLOWANCE },
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

type Probe = BatchResult<{ id: string }>;

/** One GET per mailbox, through $batch, exactly as an investigation's mailbox check would send it. */
async function probe(h: Harness): Promise<Probe[]> {
  const items: BatchItem[] = h.tenant.users.map((user) => ({
    id: user.id,
    method: 'GET',
    url: `/users/${user.id}/mailFolders/inbox?$select=id`,
  }));
  const results: Probe[] = [];
  const options = {
    limiter: h.client.mailboxLimiter,
    clock: h.clock,
    policy: PATIENT,
    concurrency: BATCH_CONCURRENCY,
  };
  for await (const result of batch<{ id: string }>(h.client.send, items, options)) results.push(result);
  return results;
}

/** What the tenant says one probe must answer; returns a description of the mismatch, or undefined. */
function checkResult(user: SimUser, result: Probe): string | undefined {
  const searchable = user.mailbox === 'exchangeOnline' && !user.excludedByAccessPolicy && !user.unresolvable;
  if (searchable) {
    if (!result.ok) return `expected the inbox, got ${result.error.status} ${result.error.code}`;
    const expected = wellKnownFolderId(user.id, 'inbox');
    return result.body.id === expected ? undefined : `expected inbox id ${expected}, got ${result.body.id}`;
  }
  if (result.ok)
    return `expected an error for a ${user.userType} with mailbox '${user.mailbox}', got ${result.status}`;
  const error = result.error;
  if (user.unresolvable)
    return error.status === 404 && error.code === 'ErrorInvalidUser' ? undefined : error.code;
  if (user.mailbox !== 'exchangeOnline')
    return isNoMailbox(error) ? undefined : `not "no mailbox": ${error.code}`;
  return isAccessDeniedByPolicy(error) ? undefined : `not "denied by policy": ${error.code}`;
}

/** Every mailbox got exactly one final result, and each is what the tenant says it must be. */
function assertEveryResultCorrect(tenant: Tenant, results: readonly Probe[]): Record<string, number> {
  const byId = new Map<string, Probe>();
  for (const result of results) {
    assert.equal(byId.has(result.id), false, `mailbox ${result.id} got more than one final result`);
    byId.set(result.id, result);
  }
  assert.equal(results.length, tenant.users.length, 'one final result per mailbox');
  const wrong: string[] = [];
  const outcomes = { found: 0, noMailbox: 0, deniedByPolicy: 0, invalidUser: 0 };
  for (const user of tenant.users) {
    const result = byId.get(user.id);
    assert.ok(result, `no result for ${user.userPrincipalName}`);
    const mismatch = checkResult(user, result);
    if (mismatch) wrong.push(`${user.userPrincipalName}: ${mismatch}`);
    else if (result.ok) outcomes.found++;
    else if (result.error.code === 'ErrorInvalidUser') outcomes.invalidUser++;
    else if (isNoMailbox(result.error)) outcomes.noMailbox++;
    else outcomes.deniedByPolicy++;
  }
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} wrong results, the first ten shown`);
  // The tenant really holds every kind of mailbox the probe must tell apart.
  assert.ok(
    outcomes.found > 0 && outcomes.noMailbox > 0 && outcomes.deniedByPolicy > 0,
    JSON.stringify(outcomes),
  );
  return outcomes;
}

function assertNoViolations(sim: Simulator): void {
  assert.deepEqual(
    sim.stats.violations,
    { mailboxConcurrency: 0, mailboxRate: 0, traceQuota: 0, retryAfterIgnored: 0 },
    'the simulator saw no Graph limit broken and no request before its Retry-After',
  );
  assert.ok(sim.stats.peakMailboxConcurrency <= 4, `peak per mailbox ${sim.stats.peakMailboxConcurrency}`);
}

/** The faults were really there, in the proportions asked for (~N·rate, loosely bounded). */
function assertFaultsInjected(sim: Simulator, mailboxes: number, envelopeFaults: boolean): void {
  const { faults, batchItems } = sim.stats;
  assert.ok(batchItems >= mailboxes * 1.5, `failed items were retried: ${batchItems} items executed`);
  const floor = (rate: number) => Math.floor(mailboxes * rate * 0.8);
  assert.ok(faults.throttle429 >= floor(0.15), `429 with Retry-After: ${faults.throttle429}`);
  assert.ok(faults.throttle429NoRetryAfter >= floor(0.15), `429 without: ${faults.throttle429NoRetryAfter}`);
  assert.ok(faults.unavailable503 >= floor(0.1), `503: ${faults.unavailable503}`);
  // Items cannot drop a socket of their own (the simulator answers 504 instead): resets hit $batch POSTs.
  assert.ok(faults.gatewayTimeout504 > 0, `504 in place of item resets: ${faults.gatewayTimeout504}`);
  if (envelopeFaults) assert.ok(faults.connectionReset > 0, `connection resets: ${faults.connectionReset}`);
}

function summary(label: string, sim: Simulator, seconds: number, outcomes: Record<string, number>): string {
  const s = sim.stats;
  return (
    `# ${label}: ${seconds.toFixed(1)} s real, ${s.byEndpoint.batch ?? 0} $batch requests, ${s.batchItems} items, ` +
    `faults ${JSON.stringify(s.faults)}, violations ${JSON.stringify(s.violations)}, outcomes ${JSON.stringify(outcomes)}`
  );
}

test('10,000 mailboxes through $batch, every batch item faulted: every result correct, no limit broken', async () => {
  const h = await startHarness(10_000, ITEM_FAULTS);
  try {
    const started = performance.now();
    const results = await probe(h);
    const seconds = (performance.now() - started) / 1000;
    const outcomes = assertEveryResultCorrect(h.tenant, results);
    assertNoViolations(h.sim);
    assertFaultsInjected(h.sim, results.length, false);
    console.log(summary('item faults', h.sim, seconds, outcomes));
  } finally {
    await stopHarness(h);
  }
});

test("the issue's Done when: 10,000 mailboxes with 429/503/reset faults on items and on the $batch POSTs", async () => {
  const h = await startHarness(10_000, FAULTS);
  try {
    const started = performance.now();
    const results = await probe(h);
    const seconds = (performance.now() - started) / 1000;
    console.log(summary('items and envelopes faulted', h.sim, seconds, {}));
    assertNoViolations(h.sim);
    assertEveryResultCorrect(h.tenant, results);
    assertFaultsInjected(h.sim, results.length, true);
  } finally {
    await stopHarness(h);
  }
});

const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/;

test('a faulted probe logged at debug level leaks neither the client secret nor any access token', async () => {
  const lines: string[] = [];
  const logger = createLogger({ debug: true, write: (line) => lines.push(line), env: {} });
  const h = await startHarness(300, FAULTS, logger);
  try {
    const results = await probe(h);
    assert.equal(results.length, h.tenant.users.length);
    const token = (await h.client.tokens.getToken()).token;
    assert.ok(JWT.test(token), 'the simulator issues JWT access tokens, so the pattern below can find one');

    // Everything a caller could print about the run: log lines and every error, in each of its renderings.
    const errors = results.flatMap((r) => (r.ok ? [] : [r.error]));
    assert.ok(errors.length > 0, 'the tenant has mailboxes that fail');
    const texts = [
      ...lines,
      ...errors.flatMap((e) => [String(e), e.stack ?? '', inspect(e, { depth: 5 }), JSON.stringify(e)]),
    ];
    assert.ok(
      lines.some((l) => l.includes('"graph.retry"')),
      'retries were logged at debug level',
    );
    assert.ok(
      lines.some((l) => l.includes('"token.acquired"')),
      'token acquisition was logged',
    );
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
  const h = await startHarness(30, {}, logger);
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
    for (const text of [
      ...lines,
      String(error),
      error.stack ?? '',
      inspect(error, { depth: 5 }),
      JSON.stringify(error),
    ]) {
      assert.equal(text.includes(wrongSecret), false, 'the secret leaked');
      assert.equal(text.includes(h.secret), false, 'the real secret leaked');
    }
  } finally {
    await bad.close();
    await stopHarness(h);
  }
});
