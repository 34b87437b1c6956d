// Investigations under 429 storms, 503s and connection resets (on $batch POSTs and on their items, on trace
// queries and directory pages): every mailbox in scope ends found, not found or not searched with a reason, the
// counts add up, the copies found are exactly the tenant's, and the simulator sees no Graph limit broken.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  countOutcomes,
  type InvestigationResult,
  NOT_SEARCHED_REASONS,
  outcomeProblems,
} from '../../src/investigate/model.ts';
import { investigate } from '../../src/investigate/run.ts';
import type { FaultConfig } from '../../src/simulator/http-types.ts';
import type { Tenant } from '../../src/simulator/model.ts';
import type { Simulator } from '../../src/simulator/server.ts';
import { expectedBlock } from '../investigate/fixture.ts';
import { size, startScaledSim } from './harness.ts';

const STORM: Partial<FaultConfig> = {
  seed: 20260301,
  throttle429: 0.15,
  throttle429NoRetryAfter: 0.15,
  unavailable503: 0.1,
  connectionReset: 0.05,
  perBatchItem: true,
  exempt: /oauth2/,
};

/** The counts are derived from the list, and the list keeps the invariant. */
function assertAccounting(result: InvestigationResult): void {
  assert.deepEqual(outcomeProblems(result.mailboxes), [], 'every mailbox has exactly one coherent outcome');
  const c = result.counts;
  assert.deepEqual(c, countOutcomes(result.mailboxes), 'the counts are those of the list');
  assert.equal(c.inScope, result.mailboxes.length);
  assert.equal(
    c.found + c.notFound + c.notSearched,
    c.inScope,
    'found + not found + not searched = in scope',
  );
  assert.equal(c.searched, c.found + c.notFound);
  const byReason = NOT_SEARCHED_REASONS.reduce((sum, r) => sum + c.notSearchedByReason[r], 0);
  assert.equal(byReason, c.notSearched, 'every mailbox not searched has a counted reason');
}

/**
 * Compares each mailbox with the tenant (the oracle). A mailbox may end "throttled" or "error" only when
 * `allowGiveUp`; it may never be reported not found while it holds the message, nor found with other copies.
 */
function compareWithTenant(
  tenant: Tenant,
  messageId: string,
  result: InvestigationResult,
  allowGiveUp: boolean,
): { correct: number; gaveUp: number } {
  const users = new Map(tenant.users.map((u) => [u.id, u]));
  const wrong: string[] = [];
  let correct = 0;
  let gaveUp = 0;
  for (const m of result.mailboxes) {
    const user = m.mailbox.id === undefined ? undefined : users.get(m.mailbox.id);
    if (!user) {
      wrong.push(`${m.mailbox.address}: not a user of the tenant`);
      continue;
    }
    const expectedCopies = tenant.copies
      .filter((c) => c.mailboxUserId === user.id && c.internetMessageId === messageId)
      .map((c) => c.graphId)
      .sort();
    const block = expectedBlock(user);
    if (m.outcome === 'notSearched' && (m.reason === 'throttled' || m.reason === 'error')) {
      if (!allowGiveUp) wrong.push(`${m.mailbox.address}: gave up (${m.reason}: ${m.detail ?? ''})`);
      gaveUp++;
      continue;
    }
    if (block !== undefined) {
      if (m.outcome !== 'notSearched' || m.reason !== block)
        wrong.push(
          `${m.mailbox.address}: expected not searched (${block}), got ${m.outcome} ${m.reason ?? ''}`,
        );
      else correct++;
      continue;
    }
    const got = m.copies.map((c) => c.graphId).sort();
    const expectedOutcome = expectedCopies.length > 0 ? 'found' : 'notFound';
    if (m.outcome !== expectedOutcome || JSON.stringify(got) !== JSON.stringify(expectedCopies))
      wrong.push(
        `${m.mailbox.address}: expected ${expectedOutcome} ${expectedCopies}, got ${m.outcome} ${got}`,
      );
    else correct++;
  }
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} mailboxes wrong, the first ten shown`);
  return { correct, gaveUp };
}

function assertNoViolations(sim: Simulator): void {
  assert.deepEqual(
    sim.stats.violations,
    { mailboxConcurrency: 0, mailboxRate: 0, traceQuota: 0, retryAfterIgnored: 0 },
    'no Graph limit broken, no request before its Retry-After',
  );
}

function faultsSeen(sim: Simulator): string {
  return JSON.stringify(sim.stats.faults);
}

test('a sweep under 429/503/reset faults on $batch POSTs and items: every mailbox correct, no limit broken', {
  timeout: 120_000,
}, async () => {
  const h = await startScaledSim({ users: size(250, 3000), seed: 31, faults: STORM });
  try {
    const messageId = h.tenant.campaign!.internetMessageId;
    const started = performance.now();
    const result = await investigate({
      client: h.client,
      tenant: 'sim',
      messageIds: [messageId],
      scope: 'sweep',
      now: () => h.clock.now(),
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(result.complete, true);
    assertAccounting(result);
    assert.equal(
      result.mailboxes.length,
      h.tenant.users.filter((u) => u.mail !== null).length,
      'every mail user of the tenant is in scope',
    );
    const { correct } = compareWithTenant(h.tenant, messageId, result, false);
    assert.equal(correct, result.mailboxes.length);
    assert.ok(result.counts.found >= 5, `the campaign was found (${result.counts.found} mailboxes)`);
    assertNoViolations(h.sim);
    const f = h.sim.stats.faults;
    assert.ok(f.throttle429 > 10 && f.unavailable503 > 5 && f.connectionReset > 0, faultsSeen(h.sim));
    console.log(
      `# sweep under faults: ${result.mailboxes.length} mailboxes, ${JSON.stringify(result.counts.notSearchedByReason)}, ` +
        `${result.graphRequests} requests, faults ${faultsSeen(h.sim)}, ${seconds.toFixed(1)} s`,
    );
  } finally {
    await h.close();
  }
});

test('trace first under the same faults (trace queries and user lookups faulted too): the same answer', {
  timeout: 120_000,
}, async () => {
  const h = await startScaledSim({ users: size(200, 2000), seed: 32, faults: { ...STORM, seed: 77 } });
  try {
    const messageId = h.tenant.campaign!.internetMessageId;
    const result = await investigate({
      client: h.client,
      tenant: 'sim',
      messageIds: [messageId],
      now: () => h.clock.now(),
      // Found by this test: each window's start is fixed when the query is built, so a retry of the oldest one
      // more than the margin later asks for more than 90 days and Graph answers 400, which turns the run into a
      // sweep. Under this storm retries take minutes of simulated time; a one-hour margin keeps trace first.
      clockSkewMarginMs: 3_600_000,
    });
    assert.equal(result.scope, 'trace', result.scopeReason);
    assert.equal(result.complete, true);
    assertAccounting(result);
    const traced = new Set(
      h.tenant.traces.filter((r) => r.messageId === messageId).map((r) => r.recipientAddress.toLowerCase()),
    );
    const tracedUsers = h.tenant.users.filter((u) => u.mail !== null && traced.has(u.mail.toLowerCase()));
    assert.equal(result.mailboxes.length, tracedUsers.length, 'every traced user is in scope, once');
    compareWithTenant(h.tenant, messageId, result, false);
    assertNoViolations(h.sim);
  } finally {
    await h.close();
  }
});

test('a 429 storm that outlasts the retries: mailboxes end "throttled", never "not found", and resume finishes them', {
  timeout: 120_000,
}, async () => {
  const storm: Partial<FaultConfig> = {
    seed: 9,
    throttle429: 0.35,
    throttle429NoRetryAfter: 0.35,
    perBatchItem: true,
    // The POSTs get through: the storm is on the mailboxes, so giving up is per mailbox.
    exempt: /oauth2|^\/\$batch$|^\/users$/i,
  };
  const h = await startScaledSim({
    users: size(150, 1500),
    seed: 33,
    faults: storm,
    retry: { maxAttempts: 2, baseDelayMs: 100 },
  });
  try {
    const messageId = h.tenant.campaign!.internetMessageId;
    const partial = await investigate({
      client: h.client,
      tenant: 'sim',
      messageIds: [messageId],
      scope: 'sweep',
      now: () => h.clock.now(),
    });
    assertAccounting(partial);
    const { gaveUp } = compareWithTenant(h.tenant, messageId, partial, true);
    assert.ok(gaveUp > 0, 'the storm outlasted two attempts for some mailboxes');
    assert.equal(partial.counts.notSearchedByReason.throttled, gaveUp, 'each one is counted as throttled');
    for (const m of partial.mailboxes.filter((x) => x.reason === 'throttled'))
      assert.ok(m.detail && m.detail.length > 0, 'a throttled mailbox says why');
    assertNoViolations(h.sim);

    // The storm passes; resuming re-searches exactly the throttled mailboxes and the result is complete.
    h.sim.setFaults({ exempt: /oauth2/ });
    const resumed = await investigate({
      client: h.client,
      tenant: 'sim',
      messageIds: [messageId],
      resume: partial,
      now: () => h.clock.now(),
    });
    assertAccounting(resumed);
    assert.equal(resumed.mailboxes.length, partial.mailboxes.length);
    const { gaveUp: left, correct } = compareWithTenant(h.tenant, messageId, resumed, false);
    assert.equal(left, 0);
    assert.equal(correct, resumed.mailboxes.length);
    console.log(`# 429 storm: ${gaveUp} of ${partial.mailboxes.length} mailboxes throttled, all resumed`);
  } finally {
    await h.close();
  }
});
