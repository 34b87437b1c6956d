import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Tenant } from '../../../src/simulator/model.ts';
import { baseTenant, call, errorCode, errorMessage, follow, NOW, routerFor, traceRow } from './helpers.ts';

const PATH = '/admin/exchange/tracing/messageTraces';
const HOUR = 3_600_000;
const at = (hoursBeforeNow: number) =>
  new Date(NOW.getTime() - hoursBeforeNow * HOUR).toISOString().replace(/\.000Z$/, 'Z');
const range = (fromHours: number, toHours: number) =>
  `receivedDateTime ge ${at(fromHours)} and receivedDateTime le ${at(toHours)}`;

function traceTenant(): Tenant {
  const tenant = baseTenant();
  tenant.traces = [
    traceRow('t1', 'adele@contoso.com', at(1)),
    traceRow('t1', 'bob@contoso.com', at(1)),
    traceRow('t2', 'adele@contoso.com', at(5), [['filteredAsSpam', at(5)]], {
      subject: 'URGENT: Invoice overdue',
      fromIP: '198.51.100.9',
    }),
    traceRow('t3', 'dora@contoso.com', at(10), [
      ['gettingStatus', at(10)],
      ['delivered', at(-1)],
    ]),
    traceRow(
      't4',
      'dora@contoso.com',
      at(20),
      [
        ['delivered', at(20)],
        ['recalled', at(2)],
      ],
      {
        senderAddress: 'Boss@Contoso.com',
        toIP: '10.0.0.1',
        direction: 'outbound',
      },
    ),
    traceRow('t5', 'adele@contoso.com', at(30), [['quarantined', at(30)]]),
    traceRow('t6', 'late@contoso.com', at(3), [['delivered', at(3)]], { visibleFrom: at(-2) }),
    traceRow('t7', 'old@contoso.com', at(60)),
    traceRow('t8', 'ancient@contoso.com', at(24 * 85)),
  ];
  return tenant;
}

const rows = (reply: ReturnType<typeof call>) =>
  (reply.body.value ?? []).map((r) => `${r.id}/${r.recipientAddress}`);

describe('GET /admin/exchange/tracing/messageTraces', () => {
  const router = routerFor(traceTenant());

  it('defaults to the previous 48 hours, visible rows only, newest first then by recipient', () => {
    const reply = call(router, { path: PATH });
    assert.equal(reply.status, 200);
    assert.equal(
      reply.body['@odata.context'],
      'https://127.0.0.1:8443/v1.0/$metadata#admin/exchange/tracing/messageTraces',
    );
    assert.deepEqual(rows(reply), [
      't1/adele@contoso.com',
      't1/bob@contoso.com',
      't2/adele@contoso.com',
      't3/dora@contoso.com',
      't4/dora@contoso.com',
      't5/adele@contoso.com',
    ]);
    assert.equal(reply.body['@odata.nextLink'], undefined);
    assert.deepEqual(reply.body.value?.[2], {
      id: 't2',
      messageId: '<t2@contoso.com>',
      senderAddress: 'sender@fabrikam.com',
      recipientAddress: 'adele@contoso.com',
      receivedDateTime: at(5),
      subject: 'URGENT: Invoice overdue',
      size: 12_345,
      fromIP: '198.51.100.9',
      toIP: '',
      status: 'filteredAsSpam',
    });
  });

  it('reports the status in force now and shows late rows once visible', () => {
    const now = call(router, { path: PATH, query: { $filter: "id eq 't3'" } });
    assert.equal(now.body.value?.[0]?.status, 'gettingStatus');
    const later = call(router, {
      path: PATH,
      query: { $filter: range(12, 0) },
      now: new Date(NOW.getTime() + 2 * HOUR),
    });
    const byId = new Map(later.body.value?.map((r) => [r.id, r.status]));
    assert.equal(byId.get('t3'), 'delivered');
    assert.equal(byId.get('t6'), 'delivered');
    assert.equal(
      call(router, { path: PATH, query: { $filter: range(12, 0) } }).body.value?.some((r) => r.id === 't6'),
      false,
    );
  });

  it('hides recalled unless Prefer: include-unknown-enum-members', () => {
    const plain = call(router, { path: PATH, query: { $filter: "id eq 't4'" } });
    assert.equal(plain.body.value?.[0]?.status, 'unknownFutureValue');
    const opted = call(router, {
      path: PATH,
      query: { $filter: "id eq 't4'" },
      headers: { prefer: 'odata.maxpagesize=10, include-unknown-enum-members' },
    });
    assert.equal(opted.body.value?.[0]?.status, 'recalled');
  });

  it('adds @odata.type and PascalCase statuses on beta', () => {
    const reply = call(router, { path: PATH, version: 'beta', query: { $filter: "id eq 't2'" } });
    assert.equal(
      reply.body['@odata.context'],
      'https://127.0.0.1:8443/beta/$metadata#admin/exchange/tracing/messageTraces',
    );
    assert.equal(reply.body.value?.[0]?.['@odata.type'], '#microsoft.graph.exchangeMessageTrace');
    assert.equal(reply.body.value?.[0]?.status, 'FilteredAsSpam');
    const v1 = call(router, { path: PATH, query: { $filter: "id eq 't2'" } });
    assert.equal(v1.body.value?.[0]?.['@odata.type'], undefined);
  });

  describe('receivedDateTime rules', () => {
    const expect400 = (filter: string, pattern: RegExp) => {
      const reply = call(router, { path: PATH, query: { $filter: filter } });
      assert.equal(reply.status, 400, filter);
      assert.match(errorMessage(reply), pattern);
    };
    it('needs both ge and le', () => {
      expect400(`receivedDateTime ge ${at(5)}`, /Both bounds/);
      expect400(`receivedDateTime le ${at(5)}`, /Both bounds/);
      expect400(`receivedDateTime gt ${at(5)} and receivedDateTime le ${at(1)}`, /ge and le/);
    });
    it('accepts only YYYY-MM-DDThh:mm:ssZ', () => {
      expect400(
        `receivedDateTime ge 2026-02-28T00:00:00.000Z and receivedDateTime le ${at(1)}`,
        /YYYY-MM-DDThh:mm:ssZ/,
      );
      expect400(
        `receivedDateTime ge '2026-02-28T00:00:00Z' and receivedDateTime le ${at(1)}`,
        /YYYY-MM-DDThh:mm:ssZ/,
      );
      expect400(`receivedDateTime ge 2026-02-28 and receivedDateTime le ${at(1)}`, /YYYY-MM-DDThh:mm:ssZ/);
      expect400(
        `receivedDateTime ge 2026-02-28T00:00:00+00:00 and receivedDateTime le ${at(1)}`,
        /YYYY-MM-DDThh:mm:ssZ/,
      );
    });
    it('limits the range to 10 days, 90 days back, and now', () => {
      assert.equal(call(router, { path: PATH, query: { $filter: range(240, 0) } }).status, 200);
      expect400(range(241, 0), /10 days/);
      expect400(range(24 * 91, 24 * 89), /90 days/);
      expect400(range(2, -1), /later than the current time/);
      expect400(range(1, 2), /after its end/);
    });
    it('returns the rows inside an accepted window, bounds included', () => {
      const reply = call(router, { path: PATH, query: { $filter: range(24 * 86, 24 * 84) } });
      assert.deepEqual(rows(reply), ['t8/ancient@contoso.com']);
      const inclusive = call(router, { path: PATH, query: { $filter: range(5, 5) } });
      assert.deepEqual(rows(inclusive), ['t2/adele@contoso.com']);
    });
  });

  it('filters with eq on every documented property, status in any casing', () => {
    const ids = (filter: string) => {
      const reply = call(router, { path: PATH, query: { $filter: filter } });
      assert.equal(reply.status, 200, `${filter}: ${JSON.stringify(reply.body)}`);
      return rows(reply);
    };
    assert.deepEqual(ids("id eq 't1'"), ['t1/adele@contoso.com', 't1/bob@contoso.com']);
    assert.deepEqual(ids("messageId eq '<t5@contoso.com>'"), ['t5/adele@contoso.com']);
    assert.deepEqual(ids("senderAddress eq 'boss@contoso.com'"), ['t4/dora@contoso.com']);
    assert.deepEqual(ids("recipientAddress eq 'BOB@contoso.com'"), ['t1/bob@contoso.com']);
    assert.deepEqual(ids("fromIP eq '198.51.100.9'"), ['t2/adele@contoso.com']);
    assert.deepEqual(ids("toIP eq '10.0.0.1'"), ['t4/dora@contoso.com']);
    assert.deepEqual(ids("status eq 'Quarantined'"), ['t5/adele@contoso.com']);
    assert.deepEqual(ids("status eq 'quarantined'"), ['t5/adele@contoso.com']);
    assert.deepEqual(ids(`recipientAddress eq 'adele@contoso.com' and ${range(6, 0)}`), [
      't1/adele@contoso.com',
      't2/adele@contoso.com',
    ]);
    const bad = call(router, { path: PATH, query: { $filter: "status eq 'lost'" } });
    assert.equal(bad.status, 400);
    assert.equal(call(router, { path: PATH, query: { $filter: "size eq '3'" } }).status, 400);
    assert.equal(call(router, { path: PATH, query: { $filter: "recipientAddress ne 'a@b.c'" } }).status, 400);
  });

  it('filters the subject with contains, startswith and endswith', () => {
    const ids = (filter: string) => rows(call(router, { path: PATH, query: { $filter: filter } }));
    assert.deepEqual(ids("contains(subject,'invoice')"), ['t2/adele@contoso.com']);
    assert.deepEqual(ids("startsWith(subject,'URGENT')"), ['t2/adele@contoso.com']);
    assert.deepEqual(ids("endswith(subject, 'digest t5')"), ['t5/adele@contoso.com']);
    assert.deepEqual(ids("contains(subject,'digest') and recipientAddress eq 'dora@contoso.com'"), [
      't3/dora@contoso.com',
      't4/dora@contoso.com',
    ]);
  });

  it('silently keeps only the first operand of an or', () => {
    const reply = call(router, {
      path: PATH,
      query: { $filter: "recipientAddress eq 'bob@contoso.com' or recipientAddress eq 'dora@contoso.com'" },
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(rows(reply), ['t1/bob@contoso.com']);
  });

  it('validates $top and refuses $orderby', () => {
    assert.equal(call(router, { path: PATH, query: { $top: '5000' } }).status, 200);
    assert.equal(call(router, { path: PATH, query: { $top: '1' } }).body.value?.length, 1);
    for (const top of ['0', '5001', 'ten'])
      assert.equal(call(router, { path: PATH, query: { $top: top } }).status, 400);
    const ordered = call(router, { path: PATH, query: { $orderby: 'receivedDateTime desc' } });
    assert.equal(ordered.status, 400);
    assert.match(errorMessage(ordered), /orderby/);
  });

  it('refuses every query option but $filter, $top and $skiptoken instead of ignoring it', () => {
    const options: [string, string][] = [
      ['$select', 'id,status'],
      ['$skip', '10'],
      ['$count', 'true'],
      ['$search', '"invoice"'],
      ['$expand', 'details'],
    ];
    for (const [option, value] of options) {
      const reply = call(router, { path: PATH, query: { [option]: value } });
      assert.equal(reply.status, 400, option);
      assert.equal(errorCode(reply), 'BadRequest');
      assert.ok(errorMessage(reply).includes(option), option);
    }
  });

  it('pages 1000 rows by default', () => {
    const tenant = baseTenant();
    tenant.traces = Array.from({ length: 1003 }, (_, i) =>
      traceRow(`bulk-${i}`, `u${i % 7}@contoso.com`, at(1 + (i % 40) / 10)),
    );
    const reply = call(routerFor(tenant), { path: PATH });
    assert.equal(reply.body.value?.length, 1000);
    assert.ok(reply.body['@odata.nextLink']);
  });
});

describe('message trace paging', () => {
  function pagingTenant(): Tenant {
    const tenant = baseTenant();
    // Several rows share a second and a recipient, so resuming must break ties on the trace id.
    tenant.traces = [];
    for (let i = 0; i < 23; i++) {
      tenant.traces.push(
        traceRow(`m${String(i).padStart(2, '0')}`, `r${i % 3}@contoso.com`, at(1 + Math.floor(i / 6))),
      );
    }
    tenant.traces.push(traceRow('late-new', 'a@contoso.com', at(0.5), undefined, { visibleFrom: at(-1) }));
    tenant.traces.push(traceRow('late-old', 'z@contoso.com', at(10), undefined, { visibleFrom: at(-1) }));
    return tenant;
  }

  it('resumes exactly after the last row through the whole nextLink', () => {
    const router = routerFor(pagingTenant());
    const filter = `${range(20, 0)} and contains(subject,'digest')`;
    const all = rows(call(router, { path: PATH, query: { $filter: filter, $top: '100' } }));
    assert.equal(all.length, 23);
    const first = call(router, { path: PATH, query: { $filter: filter, $top: '4' } });
    const next = first.body['@odata.nextLink'] as string;
    const url = new URL(next);
    assert.equal(url.origin + url.pathname, `https://127.0.0.1:8443/v1.0${PATH}`);
    assert.equal(url.searchParams.get('$filter'), filter);
    assert.equal(url.searchParams.get('$top'), '4');
    const token = JSON.parse(
      Buffer.from(url.searchParams.get('$skiptoken') ?? '', 'base64').toString('utf8'),
    );
    assert.equal(token.startDate, at(20));
    assert.equal(token.startingRecipientAddress, first.body.value?.[3]?.recipientAddress);
    assert.equal(token.endDate, first.body.value?.[3]?.receivedDateTime);
    assert.equal(token.resultSize, 4);

    const collected = rows(first);
    let link: string | undefined = next;
    while (link) {
      const page = follow(router, link);
      assert.equal(page.status, 200);
      assert.equal(
        page.body['@odata.context'],
        'https://127.0.0.1:8443/v1.0/$metadata#admin/exchange/tracing/messageTraces',
      );
      collected.push(...rows(page));
      link = page.body['@odata.nextLink'] as string | undefined;
    }
    assert.deepEqual(collected, all);
  });

  it('is deterministic when rows appear between pages: later rows are served, earlier ones are not', () => {
    const router = routerFor(pagingTenant());
    const first = call(router, { path: PATH, query: { $filter: range(20, 0), $top: '5' } });
    const later = new Date(NOW.getTime() + 2 * HOUR);
    const collected: string[] = [];
    let link: string | undefined = first.body['@odata.nextLink'] as string;
    while (link) {
      const page = follow(router, link, { now: later });
      collected.push(...rows(page));
      link = page.body['@odata.nextLink'] as string | undefined;
    }
    assert.ok(collected.includes('late-old/z@contoso.com'));
    assert.ok(!collected.includes('late-new/a@contoso.com'));
    assert.equal(collected.length, 23 - 5 + 1);
  });

  it('answers 400 to a skiptoken that does not decode or validate', () => {
    const router = routerFor(pagingTenant());
    const garbage = call(router, { path: PATH, query: { $skiptoken: 'not-base64-json' } });
    assert.equal(garbage.status, 400);
    assert.equal(errorMessage(garbage), 'Invalid skip token.');
  });

  for (const [pick, pattern] of [
    [0.1, /start date or end date/],
    [0.9, /Invalid starting recipient address/],
  ] as const) {
    it(`injects a broken skiptoken (${pattern.source}) when the fault fires`, () => {
      const router = routerFor(pagingTenant());
      const first = call(router, {
        path: PATH,
        query: { $top: '3' },
        faults: { brokenSkiptoken: 1 },
        random: () => pick,
      });
      assert.equal(first.status, 200);
      const broken = follow(router, first.body['@odata.nextLink'] as string);
      assert.equal(broken.status, 400);
      assert.match(errorMessage(broken), pattern);
      const healthy = call(router, {
        path: PATH,
        query: { $top: '3' },
        faults: { brokenSkiptoken: 0.5 },
        random: () => 0.7,
      });
      assert.equal(follow(router, healthy.body['@odata.nextLink'] as string).status, 200);
    });
  }
});
