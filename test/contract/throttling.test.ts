// Contract: throttling as the Graph client v3 sees it. A $batch of 20 mailbox searches built with
// BatchRequestContent and read with BatchResponseContent, some items answered 429 with Retry-After inside a 200
// envelope (which the client's RetryHandler leaves to the caller, as mailtrace's batch runner expects); and the
// RetryHandler itself honouring a top-level 429's Retry-After before retrying once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  BatchRequestContent,
  type BatchRequestStep,
  BatchResponseContent,
  type BatchResponseBody,
  type PageCollection,
} from '@microsoft/microsoft-graph-client';
import type { SimUser } from '../../src/simulator/model.ts';
import { type Contract, expectedCopies, odataString, originsOf, searchable, startContract } from './harness.ts';

const MESSAGE_SELECT = 'id,internetMessageId,subject,from,receivedDateTime,parentFolderId,isRead';

/** Seeds of the simulator's fault stream (src/simulator/faults.ts), chosen so the outcome is known in advance. */
const BATCH_FAULT_SEED = 3; // throttle429 0.3 per item: 5 of the 20 items are throttled
const RETRY_FAULT_SEED = 7; // throttle429 0.5: the first request is throttled with Retry-After 1, the next is not

/** What a mailbox search answers for a mailbox that cannot be searched (src/simulator/resources/mailbox.ts). */
function expectedRefusal(user: SimUser): { status: number; code: string } | undefined {
  if (user.unresolvable) return { status: 404, code: 'ErrorInvalidUser' };
  if (user.mailbox !== 'exchangeOnline') return { status: 404, code: 'MailboxNotEnabledForRESTAPI' };
  if (user.excludedByAccessPolicy) return { status: 403, code: 'ErrorAccessDenied' };
  return undefined;
}

interface ItemOutcome {
  status: number;
  retryAfter: string | null;
  body: { value?: { id: string }[]; error?: { code: string } };
}

describe('contract: @microsoft/microsoft-graph-client v3 throttling', () => {
  let c: Contract;
  before(async () => {
    c = await startContract();
  });
  after(() => c.close());

  it('$batch of 20 searches: per-item 429s with Retry-After come back in a 200; retried later, all match', async () => {
    const nowMs = c.sim.clock.nowMs();
    const campaign = c.tenant.campaign!;
    const messageId = campaign.internetMessageId;
    // Ten mailboxes the campaign reached (some holding copies, some unsearchable), both searches each: 20 items.
    const recipients = new Set(campaign.recipientAddresses.map((a) => a.toLowerCase()));
    const reached = c.tenant.users.filter((u) => u.mail !== null && recipients.has(u.mail.toLowerCase()));
    const mailboxes = [
      ...reached.filter((u) => searchable(u) && expectedCopies(c.tenant, u, messageId, nowMs).recoverable.length > 0),
      ...reached.filter((u) => !searchable(u)).slice(0, 3),
      ...reached.filter((u) => searchable(u)),
    ]
      .filter((u, i, all) => all.indexOf(u) === i)
      .slice(0, 10);
    assert.equal(mailboxes.length, 10);
    assert.ok(mailboxes.some((u) => !searchable(u)), 'an unsearchable mailbox is in the batch');

    const steps = new Map<string, { user: SimUser; part: 'messages' | 'recoverable' }>();
    mailboxes.forEach((user, i) => {
      steps.set(`m${i}`, { user, part: 'messages' });
      steps.set(`r${i}`, { user, part: 'recoverable' });
    });
    // Node's Request needs an absolute URL. BatchRequestContent 3.0.7 strips scheme and host but keeps whatever
    // follows, so the URL must not name the version (microsoftgraph/msgraph-sdk-javascript#1451; the next test).
    const stepFor = (id: string): BatchRequestStep => {
      const { user, part } = steps.get(id)!;
      const scope = part === 'messages' ? 'messages' : 'mailFolders/recoverableitemsdeletions/messages';
      const query = `$filter=internetMessageId eq ${odataString(messageId)}&$select=${MESSAGE_SELECT}&$top=10`;
      return { id, request: new Request(`${c.sim.url}/users/${user.id}/${scope}?${query}`, { method: 'GET' }) };
    };
    const runBatch = async (ids: string[]): Promise<Map<string, ItemOutcome>> => {
      const content = new BatchRequestContent(ids.map(stepFor));
      const body = (await c.client.api('/$batch').post(await content.getContent())) as BatchResponseBody;
      const responses = new BatchResponseContent(body);
      const outcomes = new Map<string, ItemOutcome>();
      for (const [id, response] of responses.getResponses()) {
        outcomes.set(id, {
          status: response.status,
          retryAfter: response.headers.get('Retry-After'),
          body: (await response.json()) as ItemOutcome['body'],
        });
      }
      return outcomes;
    };
    const assertAnswer = (id: string, outcome: ItemOutcome) => {
      const { user, part } = steps.get(id)!;
      const refusal = expectedRefusal(user);
      if (refusal) {
        assert.equal(outcome.status, refusal.status, id);
        assert.equal(outcome.body.error?.code, refusal.code, id);
        return;
      }
      assert.equal(outcome.status, 200, id);
      const expected = expectedCopies(c.tenant, user, messageId, nowMs)[part];
      assert.deepEqual(outcome.body.value!.map((m) => m.id).sort(), expected.map((e) => e.graphId).sort(), id);
    };

    c.sim.setFaults({ seed: BATCH_FAULT_SEED, throttle429: 0.3, perBatchItem: true, exempt: /^\/\$batch$/ });
    const batchesBefore = c.sent.filter((r) => r.path === '/v1.0/$batch').length;
    const first = await runBatch([...steps.keys()]);
    assert.deepEqual([...first.keys()].sort(), [...steps.keys()].sort(), 'one answer per item');
    const throttled = [...first].filter(([, o]) => o.status === 429).map(([id]) => id);
    assert.equal(throttled.length, c.sim.stats.faults.throttle429, 'every injected 429 reached the caller');
    assert.ok(throttled.length > 0 && throttled.length < 20, `some items throttled (${throttled.length})`);
    let waitSeconds = 0;
    for (const [id, outcome] of first) {
      if (outcome.status !== 429) {
        assertAnswer(id, outcome);
        continue;
      }
      assert.match(outcome.retryAfter ?? '', /^[1-9]\d*$/, `${id} carries Retry-After in seconds`);
      assert.equal(outcome.body.error?.code, 'TooManyRequests');
      waitSeconds = Math.max(waitSeconds, Number(outcome.retryAfter));
    }
    assert.equal(
      c.sent.filter((r) => r.path === '/v1.0/$batch').length - batchesBefore,
      1,
      "the envelope was 200: the client's RetryHandler did not resend the batch",
    );

    // The caller waits out the longest Retry-After (on the simulator's clock) and sends the throttled items again.
    c.sim.setFaults({});
    c.sim.clock.advance(waitSeconds * 1000);
    const retried = await runBatch(throttled);
    assert.deepEqual([...retried.keys()].sort(), [...throttled].sort());
    for (const [id, outcome] of retried) assertAnswer(id, outcome);
    assert.equal(c.sim.stats.violations.retryAfterIgnored, 0, 'no item was sent again before its Retry-After');
  });

  it("a batch item URL that keeps the version is refused as Graph does (400, segment 'v1.0')", async () => {
    const user = c.tenant.users.find(searchable)!;
    const content = new BatchRequestContent([
      { id: '1', request: new Request(`${c.sim.url}/v1.0/users/${user.id}/mailFolders/inbox`, { method: 'GET' }) },
    ]);
    const payload = await content.getContent();
    assert.equal((payload.requests as { url: string }[])[0]!.url, `/v1.0/users/${user.id}/mailFolders/inbox`);
    const body = (await c.client.api('/$batch').post(payload)) as BatchResponseBody;
    const response = new BatchResponseContent(body).getResponseById('1');
    assert.equal(response.status, 400);
    const error = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(error.error.code, 'BadRequest');
    assert.equal(error.error.message, "Resource not found for the segment 'v1.0'.");
  });

  it('RetryHandler waits out a 429 Retry-After, then retries once with the same client-request-id', async () => {
    const user = c.tenant.users.find(searchable)!;
    const path = `/v1.0/users/${user.id}/mailFolders/inbox`;
    const log = () => c.sim.stats.log.filter((e) => e.path.startsWith(`/users/${user.id}/mailFolders/inbox`));
    const before = log().length;
    const sentBefore = c.sent.length;
    const faultsBefore = c.sim.stats.faults.throttle429;
    // The SDK sleeps Retry-After in real time; the simulator judges "too early" on its clock. The clock runs 5%
    // fast so that a timer that fires a millisecond early (libuv rounds to whole milliseconds) is not taken for an
    // early retry, while a client that did not wait out the second would still be caught.
    c.sim.setFaults({ seed: RETRY_FAULT_SEED, throttle429: 0.5 });
    c.sim.clock.setScale(1.05);
    let folder: PageCollection;
    try {
      folder = (await c.client.api(`/users/${user.id}/mailFolders/inbox`).select('displayName').get()) as PageCollection;
    } finally {
      c.sim.clock.setScale(0);
      c.sim.setFaults({});
    }
    assert.equal(folder.displayName, 'Inbox');
    const entries = log().slice(before);
    assert.deepEqual(entries.map((e) => e.status), [429, 200], 'one 429, one retry that succeeded');
    assert.equal(entries[0]!.clientRequestId, entries[1]!.clientRequestId, 'the retry is the same request');
    assert.equal(c.sim.stats.faults.throttle429 - faultsBefore, 1);
    assert.equal(c.sim.stats.violations.retryAfterIgnored, 0, 'the retry came after Retry-After');
    const sent = c.sent.slice(sentBefore).filter((r) => r.path.startsWith(path));
    assert.equal(sent.length, 2);
    assert.equal(sent[0]!.headers['retry-attempt'], undefined);
    assert.equal(sent[1]!.headers['retry-attempt'], '1', 'the RetryHandler numbers its attempt');
  });

  it('sent every request to the simulator and none to a Microsoft host', () => {
    assert.deepEqual([...originsOf(c.sent).keys()], [c.sim.url]);
    assert.equal(c.sim.stats.totalViolations(), 0, 'no Graph limit broken');
  });
});
