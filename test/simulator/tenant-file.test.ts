import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateTenant } from '../../src/simulator/generate.ts';
import { loadTenant, saveTenant, TenantFileError } from '../../src/simulator/tenant-file.ts';

const directory = mkdtempSync(join(tmpdir(), 'mailtrace-tenant-file-'));
after(() => rmSync(directory, { recursive: true, force: true }));

const tenant = generateTenant({ users: 80, days: 2, seed: 21, anchor: '2026-01-15T10:00:00Z' });

describe('saveTenant / loadTenant', () => {
  it('round-trips a generated tenant exactly, in both parsing modes', () => {
    const path = join(directory, 'roundtrip.json');
    saveTenant(tenant, path);
    assert.deepEqual(loadTenant(path), tenant);
    assert.deepEqual(loadTenant(path, { freeFormLimitBytes: 0 }), tenant);
    assert.deepEqual(readdirSync(directory), ['roundtrip.json'], 'no temporary file left behind');
  });

  it('writes plain JSON with one array element per line', () => {
    const path = join(directory, 'layout.json');
    saveTenant(tenant, path);
    const text = readFileSync(path, 'utf8');
    assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(tenant)));
    const lines = text.split('\n');
    assert.ok(lines.includes('"traces": ['));
    assert.ok(lines.length > tenant.traces.length + tenant.copies.length + tenant.users.length);
  });

  it('accepts hand-formatted JSON and sorts rows appended out of order', () => {
    const edited = structuredClone(tenant);
    const first = edited.traces.shift()!;
    edited.traces.push(first);
    const path = join(directory, 'pretty.json');
    writeFileSync(path, JSON.stringify(edited, null, 2));
    const loaded = loadTenant(path);
    const times = loaded.traces.map((r) => r.receivedDateTime);
    assert.deepEqual(times, [...times].sort());
    const key = (rows: typeof tenant.traces) => rows.map((r) => JSON.stringify(r)).sort();
    assert.deepEqual(key(loaded.traces), key(tenant.traces));
    assert.deepEqual({ ...loaded, traces: [] }, { ...tenant, traces: [] });
  });
});

describe('loadTenant: validation errors name the field', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- these tests break untyped JSON on purpose
  const broken: [string, (t: Record<string, any>) => void, string, RegExp][] = [
    ['mail type', (t) => (t.users[3].mail = 5), 'users[3].mail', /expected string or null, got number 5/],
    ['schema version', (t) => (t.schemaVersion = 2), 'schemaVersion', /unsupported version number 2/],
    ['missing schema version', (t) => delete t.schemaVersion, 'schemaVersion', /missing \(expected 1\)/],
    ['duplicate user', (t) => (t.users[5].id = t.users[4].id), 'users[5].id', /duplicate user id/],
    [
      'copy of unknown mailbox',
      (t) => (t.copies[2].mailboxUserId = 'nobody'),
      'copies[2].mailboxUserId',
      /no user/,
    ],
    [
      'copy in a guest mailbox',
      (t) =>
        (t.copies[0].mailboxUserId = t.users.find((u: { userType: string }) => u.userType === 'Guest').id),
      'copies[0].mailboxUserId',
      /has no Exchange Online mailbox/,
    ],
    [
      'duplicate graphId',
      (t) => (t.copies[1].graphId = t.copies[0].graphId),
      'copies[1].graphId',
      /duplicate graphId/,
    ],
    [
      'unknown group member',
      (t) => (t.groups[1].memberIds[0] = 'ghost'),
      'groups[1].memberIds[0]',
      /no user/,
    ],
    [
      'non-RFC 3339 time',
      (t) => (t.traces[7].receivedDateTime = '2026-01-15 10:00:00'),
      'traces[7].receivedDateTime',
      /RFC 3339 UTC timestamp/,
    ],
    ['empty timeline', (t) => (t.traces[1].statusTimeline = []), 'traces[1].statusTimeline', /at least one/],
    [
      'bad status',
      (t) => (t.traces[1].statusTimeline[0].status = 'Sent'),
      'traces[1].statusTimeline[0].status',
      /one of/,
    ],
    [
      'unknown folder',
      (t) => (t.copies[3].folder = 'Inbox2'),
      'copies[3].folder',
      /neither a well-known folder/,
    ],
    [
      'bad parent folder',
      (t) => (t.customFolders[0].parentFolder = 'x'),
      'customFolders[0].parentFolder',
      /neither/,
    ],
    ['missing array', (t) => delete t.traces, 'traces', /expected an array, got undefined/],
    ['bad tenant id', (t) => (t.tenantId = 'contoso'), 'tenantId', /expected a GUID/],
    [
      'duplicate trace row',
      (t) => t.traces.push(structuredClone(t.traces[0])),
      `traces[${tenant.traces.length}]`,
      /duplicate row for trace id/,
    ],
  ];
  for (const [name, breakIt, field, message] of broken) {
    it(name, () => {
      const json = JSON.parse(JSON.stringify(tenant));
      breakIt(json);
      const path = join(directory, 'broken.json');
      writeFileSync(path, JSON.stringify(json));
      assert.throws(
        () => loadTenant(path),
        (error: unknown) => {
          assert.ok(error instanceof TenantFileError);
          assert.equal(error.field, field);
          assert.match(error.message, message);
          assert.ok(error.message.startsWith(`${path}: ${field}: `), error.message);
          return true;
        },
      );
    });
  }

  it('reports unreadable and non-JSON files', () => {
    assert.throws(
      () => loadTenant(join(directory, 'absent.json')),
      /absent\.json: cannot read the tenant file \(ENOENT\)/,
    );
    const path = join(directory, 'garbage.json');
    writeFileSync(path, '{"schemaVersion": 1,');
    assert.throws(
      () => loadTenant(path),
      (error: unknown) => error instanceof TenantFileError && /not valid JSON/.test(error.message),
    );
    assert.throws(
      () => loadTenant(path, { freeFormLimitBytes: 0 }),
      (error: unknown) =>
        error instanceof TenantFileError &&
        /line 1 is not in the one-element-per-line layout/.test(error.message),
    );
  });

  it('never echoes secret values in errors', () => {
    const json = JSON.parse(JSON.stringify(tenant));
    json.apps[0].secrets[0].expiresAt = 'soon';
    const path = join(directory, 'secret.json');
    writeFileSync(path, JSON.stringify(json));
    assert.throws(
      () => loadTenant(path),
      (error: unknown) =>
        error instanceof TenantFileError &&
        error.field === 'apps[0].secrets[0].expiresAt' &&
        !error.message.includes(tenant.apps[0]!.secrets[0]!.value),
    );
  });
});
