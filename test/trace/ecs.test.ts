import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ecsEventId, emailDirection, eventAction, eventOutcome, toEcs } from '../../src/trace/ecs.ts';
import { checkEcsTypes, ECS_FIELDS } from '../../src/trace/ecs-fields.ts';
import { TRACE_STATUSES, type TraceRow } from '../../src/trace/model.ts';

const CONTEXT = {
  tenantId: '0b5c7e0c-7c38-4e1f-9d4e-6a0e8f7f1a11',
  tenantName: 'Contoso',
  acceptedDomains: ['contoso.com', 'contoso.onmicrosoft.com'],
};

const ROW: TraceRow = {
  id: '4b6a4a8e-9d8e-4b7b-a2c0-0a1b2c3d4e5f',
  messageId: '<d9683b4c-127b-413a-ae2e-fa7dfb32c69d@fabrikam.com>',
  senderAddress: 'alerts@fabrikam.com',
  recipientAddress: 'Adele.Vance@contoso.com',
  receivedDateTime: '2026-01-20T10:15:30Z',
  subject: 'Invoice overdue',
  size: 45123,
  fromIP: '203.0.113.7',
  toIP: '',
  status: 'Delivered',
};

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('toEcs', () => {
  it('maps a delivered inbound row to a complete ECS document', () => {
    const doc = toEcs(ROW, CONTEXT);
    assert.deepEqual(checkEcsTypes(doc), []);
    assert.equal(doc['@timestamp'], '2026-01-20T10:15:30.000Z');
    assert.deepEqual(doc.event.category, ['email']);
    assert.deepEqual(doc.event.type, ['info']);
    assert.equal(doc.event.kind, 'event');
    assert.equal(doc.event.action, 'delivered');
    assert.equal(doc.event.outcome, 'success');
    assert.equal(doc.event.dataset, 'microsoft.message_trace');
    assert.equal(doc.email.message_id, ROW.messageId);
    assert.equal(doc.email.local_id, ROW.id);
    assert.deepEqual(doc.email.from, { address: ['alerts@fabrikam.com'] });
    assert.deepEqual(doc.email.to, { address: ['Adele.Vance@contoso.com'] });
    assert.equal(doc.email.direction, 'inbound');
    assert.equal(doc.email.delivery_timestamp, '2026-01-20T10:15:30.000Z');
    assert.deepEqual(doc.source, { ip: '203.0.113.7' });
    assert.equal(doc.destination, undefined, 'an empty toIP is not an ip');
    assert.equal(doc.network.bytes, 45123);
    assert.deepEqual(doc.related, {
      user: ['alerts@fabrikam.com', 'Adele.Vance@contoso.com'],
      ip: ['203.0.113.7'],
    });
    assert.deepEqual(doc.observer, { vendor: 'Microsoft', product: 'Exchange Online', type: 'mta' });
    assert.deepEqual(doc.cloud, { account: { id: CONTEXT.tenantId, name: 'Contoso' } });
    assert.equal(doc.microsoft.message_trace.status, 'Delivered', 'raw status kept as sent');
    assert.equal(doc.microsoft.message_trace.toIP, '');
  });

  it('is deterministic and does not mutate its input', () => {
    const copy = structuredClone(ROW);
    assert.deepEqual(toEcs(ROW, CONTEXT), toEcs(ROW, CONTEXT));
    assert.deepEqual(ROW, copy);
  });

  it('gives one event.id per (row, status): casing and recipient case do not matter, status does', () => {
    const a = ecsEventId(ROW);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(ecsEventId({ ...ROW, status: 'delivered', recipientAddress: 'adele.vance@CONTOSO.com' }), a);
    assert.notEqual(ecsEventId({ ...ROW, status: 'pending' }), a);
    assert.notEqual(ecsEventId({ ...ROW, recipientAddress: 'alex@contoso.com' }), a);
    assert.notEqual(ecsEventId({ ...ROW, id: 'other' }), a);
  });

  it('sets delivery_timestamp only for delivered rows', () => {
    assert.equal(toEcs({ ...ROW, status: 'pending' }, CONTEXT).email.delivery_timestamp, undefined);
    assert.equal(toEcs({ ...ROW, status: 'quarantined' }, CONTEXT).email.delivery_timestamp, undefined);
  });

  it('keeps both IPv4 and IPv6 addresses and drops invalid ones', () => {
    const doc = toEcs({ ...ROW, fromIP: '2001:db8::1', toIP: '198.51.100.4' }, CONTEXT);
    assert.deepEqual(doc.source, { ip: '2001:db8::1' });
    assert.deepEqual(doc.destination, { ip: '198.51.100.4' });
    assert.deepEqual(doc.related.ip, ['2001:db8::1', '198.51.100.4']);
    const bad = toEcs({ ...ROW, fromIP: '999.1.1.1', toIP: 'mail.contoso.com' }, CONTEXT);
    assert.equal(bad.source, undefined);
    assert.equal(bad.destination, undefined);
    assert.equal(bad.related.ip, undefined);
    assert.deepEqual(checkEcsTypes(bad), []);
  });

  it('omits the sender for null-sender mail (bounces) and stays valid', () => {
    const doc = toEcs({ ...ROW, senderAddress: '' }, CONTEXT);
    assert.equal(doc.email.from, undefined);
    assert.deepEqual(doc.related.user, ['Adele.Vance@contoso.com']);
    assert.equal(doc.email.direction, 'unknown');
    assert.deepEqual(checkEcsTypes(doc), []);
  });

  it('omits cloud.account.name without a tenant name', () => {
    const doc = toEcs(ROW, { tenantId: 't', acceptedDomains: [] });
    assert.deepEqual(doc.cloud, { account: { id: 't' } });
  });

  it('normalizes a receivedDateTime without zone as UTC', () => {
    const doc = toEcs({ ...ROW, receivedDateTime: '2026-01-20T10:15:30' }, CONTEXT);
    assert.equal(doc['@timestamp'], '2026-01-20T10:15:30.000Z');
    assert.deepEqual(checkEcsTypes(doc), []);
  });
});

describe('status mappings', () => {
  it('maps every status to a kebab-case action and a documented outcome', () => {
    const expected: Record<string, [string, string]> = {
      gettingStatus: ['getting-status', 'unknown'],
      pending: ['pending', 'unknown'],
      failed: ['failed', 'failure'],
      delivered: ['delivered', 'success'],
      expanded: ['expanded', 'success'],
      quarantined: ['quarantined', 'failure'],
      filteredAsSpam: ['filtered-as-spam', 'failure'],
      recalled: ['recalled', 'unknown'],
      unknownFutureValue: ['unknown-future-value', 'unknown'],
    };
    for (const s of TRACE_STATUSES) {
      assert.deepEqual([eventAction(s), eventOutcome(s)], expected[s], s);
      assert.deepEqual([eventAction(s.toUpperCase()), eventOutcome(s.toUpperCase())], expected[s], s);
    }
    assert.equal(eventAction('brandNewStatus'), 'unknown-future-value');
  });
});

describe('emailDirection', () => {
  const domains = ['contoso.com', 'Contoso.onmicrosoft.com'];
  it('tells inbound, outbound, internal and unknown apart, case-insensitively', () => {
    assert.equal(emailDirection('a@fabrikam.com', 'b@Contoso.com', domains), 'inbound');
    assert.equal(emailDirection('a@contoso.com', 'b@fabrikam.com', domains), 'outbound');
    assert.equal(emailDirection('a@contoso.onmicrosoft.com', 'b@CONTOSO.COM', domains), 'internal');
    assert.equal(emailDirection('a@fabrikam.com', 'b@tailspin.com', domains), 'unknown');
    assert.equal(emailDirection('a@contoso.com', 'b@contoso.com', []), 'unknown');
    assert.equal(emailDirection('no-at-sign', 'b@contoso.com', domains), 'unknown');
  });
  it('matches accepted domains exactly, not their subdomains', () => {
    assert.equal(emailDirection('a@mail.contoso.com', 'b@contoso.com', domains), 'inbound');
  });
});

describe('checkEcsTypes', () => {
  it('reports undeclared fields, wrong types, bad dates and bad ips', () => {
    const doc = toEcs(ROW, CONTEXT) as unknown as Record<string, unknown>;
    const broken = structuredClone(doc) as Record<string, Record<string, unknown>>;
    broken.network!.bytes = 1.5;
    broken.source = { ip: 'not-an-ip' };
    broken.event!.category = 'email';
    (broken as Record<string, unknown>)['@timestamp'] = '2026-01-20 10:15';
    (broken as Record<string, unknown>).surprise = 'x';
    const problems = checkEcsTypes(broken);
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('network.bytes')));
    assert.ok(problems.some((p) => p.startsWith('source.ip')));
    assert.ok(problems.some((p) => p.startsWith('event.category')));
    assert.ok(problems.some((p) => p.startsWith('@timestamp')));
    assert.ok(problems.some((p) => p.startsWith('surprise')));
  });

  it('validates every document of random rows (property)', () => {
    const random = mulberry32(1234);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const addresses = ['a@contoso.com', 'B@fabrikam.com', '', 'x@contoso.onmicrosoft.com', 'weird'];
    const ips = ['', '203.0.113.9', '2001:db8::2', 'garbage', '10.0.0.1'];
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const row: TraceRow = {
        id: `id-${Math.floor(random() * 500)}`,
        messageId: `<m${i}@example.com>`,
        senderAddress: pick(addresses),
        recipientAddress: pick(addresses.filter((a) => a !== '')),
        receivedDateTime: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 9e9)).toISOString(),
        subject: random() < 0.1 ? '' : `subject ${i} ✉️`,
        size: Math.floor(random() * 2 ** 31),
        fromIP: pick(ips),
        toIP: pick(ips),
        status: pick([...TRACE_STATUSES, 'Delivered', 'FilteredAsSpam', 'somethingNew']),
      };
      const doc = toEcs(row, CONTEXT);
      assert.deepEqual(checkEcsTypes(doc), [], JSON.stringify(row));
      seen.add(doc.email.direction);
    }
    assert.deepEqual([...seen].sort(), ['inbound', 'internal', 'outbound', 'unknown']);
  });

  it('declares only fields that toEcs can emit', () => {
    const emitted = new Set<string>();
    const walk = (obj: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(obj)) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v))
          walk(v as Record<string, unknown>, `${prefix}${k}.`);
        else emitted.add(prefix + k);
      }
    };
    walk(toEcs({ ...ROW, toIP: '198.51.100.1' }, CONTEXT) as unknown as Record<string, unknown>, '');
    assert.deepEqual([...emitted].sort(), Object.keys(ECS_FIELDS).sort());
  });
});
