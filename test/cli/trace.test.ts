import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type CliHarness, runCli, startCliHarness } from './cli-harness.ts';

let h: CliHarness;
before(async () => {
  h = await startCliHarness({ seed: 33, perUserPerDay: 6 });
});
after(() => h.close());

interface TraceJson {
  complete: boolean;
  source: string;
  count: number;
  truncated: boolean;
  rows: { messageId: string; recipientAddress: string; status: string; tenant: string }[];
}

/** Rows Graph shows now that were received in the last `hours` (and before the CLI's 30 s skew margin). */
function visibleRows(hours: number) {
  const now = h.sim.clock.nowMs();
  return h.tenant.traces.filter((r) => {
    const t = Date.parse(r.receivedDateTime);
    return t >= now - hours * 3_600_000 && t <= now - 60_000 && Date.parse(r.visibleFrom) <= now;
  });
}

test('trace --message-id searches Graph live and returns every recipient row of the message', async () => {
  const multi = visibleRows(40).find(
    (r) => h.tenant.traces.filter((o) => o.messageId === r.messageId).length > 1,
  );
  const target = multi ?? visibleRows(40)[0]!;
  const expected = visibleRows(48).filter((r) => r.messageId === target.messageId);
  // Without brackets: the CLI canonicalises the id before quoting and encoding it.
  const bare = target.messageId.slice(1, -1);
  const result = await runCli(['trace', '--config', h.configPath, '--message-id', bare, '-o', 'json']);
  assert.equal(result.code, 0, result.stderr);
  const data = JSON.parse(result.stdout) as TraceJson;
  assert.equal(data.source, 'graph');
  assert.equal(data.count, expected.length);
  assert.ok(data.rows.every((r) => r.messageId === target.messageId));
  assert.deepEqual(
    new Set(data.rows.map((r) => r.recipientAddress)),
    new Set(expected.map((r) => r.recipientAddress)),
  );
});

test('trace rejects a malformed message id, an unknown status and an impossible range', async () => {
  const badId = await runCli(['trace', '--config', h.configPath, '--message-id', 'two words@x']);
  assert.equal(badId.code, 2);
  assert.match(badId.stderr, /Not an internet message id/);
  const badStatus = await runCli(['trace', '--config', h.configPath, '--status', 'bounced']);
  assert.equal(badStatus.code, 2);
  assert.match(badStatus.stderr, /use one of gettingStatus, pending/);
  const tooOld = await runCli(['trace', '--config', h.configPath, '--since', '120d']);
  assert.equal(tooOld.code, 2);
  assert.match(tooOld.stderr, /older than message trace keeps/);
  const inverted = await runCli(['trace', '--config', h.configPath, '--since', '1h', '--until', '2h']);
  assert.equal(inverted.code, 2);
});

test('a pasted 20,000-character --subject is a usage error up front, not "try again later"', async () => {
  const requestsBefore = h.sim.stats.totalRequests;
  const long = await runCli(['trace', '--config', h.configPath, '--subject', 'x'.repeat(20_000)]);
  assert.equal(long.code, 2, long.stderr);
  assert.match(long.stderr, /--subject is 20000 characters, longer than a subject can be \(998\)/);
  assert.doesNotMatch(long.stderr, /try again/);
  assert.equal(h.sim.stats.totalRequests, requestsBefore, 'no Graph request was made');
  const longest = await runCli(['trace', '--config', h.configPath, '--subject', 'x'.repeat(998), '-o', 'json']);
  assert.equal(longest.code, 0, longest.stderr);
});

test('trace --local reads the store filled by collect, as CSV; --limit truncates and says so', async () => {
  const collected = await runCli(['collect', '--once', '--config', h.configPath, '--since', '2d']);
  assert.equal(collected.code, 0, collected.stderr);
  const delivered = await runCli([
    'trace',
    '--local',
    '--config',
    h.configPath,
    '--since',
    '2d',
    '--status',
    'Delivered',
    '-o',
    'csv',
  ]);
  assert.equal(delivered.code, 0, delivered.stderr);
  const lines = delivered.stdout.trimEnd().split('\r\n');
  assert.equal(lines[0], 'Received (UTC),Status,Sender,Recipient,Subject,Message-ID,Size');
  assert.ok(lines.length > 5);
  assert.ok(lines.slice(1).every((l) => l.split(',')[1] === 'delivered'));

  const limited = await runCli([
    'trace',
    '--local',
    '--store',
    h.storePath,
    '--since',
    '2d',
    '--limit',
    '3',
    '-o',
    'json',
  ]);
  assert.equal(limited.code, 0, limited.stderr);
  const data = JSON.parse(limited.stdout) as TraceJson;
  assert.equal(data.source, 'store');
  assert.equal(data.count, 3);
  assert.equal(data.truncated, true);
});

test('trace --local without a store says how to get one', async () => {
  const result = await runCli(['trace', '--local', '--store', `${h.dir}/missing.sqlite`]);
  assert.equal(result.code, 6);
  assert.match(result.stderr, /no store at/);
  assert.match(result.stderr, /fix: run `mailtrace collect` first/);
});

test('an error line quoting hostile input shows its control bytes instead of sending them to the terminal', async () => {
  const run = await runCli(['trace', '--config', h.configPath, '--status', '\u001b]0;pwned\u0007\u001b[2J\u202e']);
  assert.equal(run.code, 2);
  assert.doesNotMatch(run.stderr, /[\u001b\u0007\u202e]/);
  assert.match(run.stderr, /--status '\\u001b\]0;pwned\\u0007\\u001b\[2J\\u202e' is not a message trace status/);
});
