import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseTenant, call, errorCode, errorMessage, follow, routerFor, user } from './helpers.ts';

const EVENTUAL = { consistencylevel: 'eventual' };

function bigTenant(count: number) {
  const tenant = baseTenant();
  tenant.users = Array.from({ length: count }, (_, i) =>
    user(
      `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
      `user${i}`,
      i % 3 === 0 ? { mail: null } : {},
    ),
  );
  return tenant;
}

describe('GET /users', () => {
  it('returns default properties only, 100 per page, with context and an absolute nextLink', () => {
    const router = routerFor(bigTenant(250));
    const first = call(router, { path: '/users' });
    assert.equal(first.status, 200);
    assert.equal(first.body['@odata.context'], 'https://127.0.0.1:8443/v1.0/$metadata#users');
    assert.equal(first.body.value?.length, 100);
    const sample = first.body.value?.[0] as Record<string, unknown>;
    assert.deepEqual(Object.keys(sample).sort(), [
      'businessPhones',
      'displayName',
      'givenName',
      'id',
      'jobTitle',
      'mail',
      'mobilePhone',
      'officeLocation',
      'preferredLanguage',
      'surname',
      'userPrincipalName',
    ]);
    const next = first.body['@odata.nextLink'] as string;
    assert.match(next, /^https:\/\/127\.0\.0\.1:8443\/v1\.0\/users\?.*\$skiptoken=/);
    const ids = new Set((first.body.value ?? []).map((u) => u.id));
    let link: string | undefined = next;
    while (link) {
      const page = follow(router, link);
      assert.equal(page.status, 200);
      for (const u of page.body.value ?? []) ids.add(u.id);
      link = page.body['@odata.nextLink'] as string | undefined;
    }
    assert.equal(ids.size, 250);
  });

  it('validates $top between 1 and 999 with Graph’s message', () => {
    const router = routerFor(baseTenant());
    const reply = call(router, { path: '/users', query: { $top: '1000' } });
    assert.equal(reply.status, 400);
    assert.equal(errorCode(reply), 'Request_UnsupportedQuery');
    assert.equal(
      errorMessage(reply),
      "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.",
    );
    assert.equal(call(router, { path: '/users', query: { $top: '0' } }).status, 400);
    assert.equal(call(router, { path: '/users', query: { $top: '999' } }).status, 200);
  });

  it('honours $select, including userType and accountEnabled, and rejects unknown properties', () => {
    const router = routerFor(baseTenant());
    const reply = call(router, { path: '/users', query: { $select: 'id,mail,userType,accountEnabled' } });
    assert.equal(
      reply.body['@odata.context'],
      'https://127.0.0.1:8443/v1.0/$metadata#users(id,mail,userType,accountEnabled)',
    );
    const dora = reply.body.value?.find((u) => u.mail === 'dora@contoso.com');
    assert.deepEqual(dora, {
      id: '00000000-0000-0000-0000-000000000010',
      mail: 'dora@contoso.com',
      userType: 'Member',
      accountEnabled: false,
    });
    const bad = call(router, { path: '/users', query: { $select: 'id,shoeSize' } });
    assert.equal(bad.status, 400);
    assert.match(errorMessage(bad), /shoeSize/);
    const innerError = (bad.body.error as { innerError: Record<string, string> }).innerError;
    assert.match(innerError['request-id'] ?? '', /^req-/);
    assert.match(innerError['client-request-id'] ?? '', /^client-/);
    assert.equal(innerError.date, '2026-03-01T12:00:00Z');
  });

  it('supports the default filters without advanced-query parameters', () => {
    const router = routerFor(baseTenant());
    const mails = (filter: string, headers = {}) => {
      const reply = call(router, { path: '/users', query: { $filter: filter }, headers });
      assert.equal(reply.status, 200, JSON.stringify(reply.body));
      return (reply.body.value ?? []).map((u) => u.mail);
    };
    assert.deepEqual(mails("userType eq 'Guest'"), ['guest@fabrikam.com']);
    assert.equal(mails('accountEnabled eq false').length, 2);
    assert.deepEqual(mails("startswith(displayName,'Ad')"), ['adele@contoso.com']);
    assert.deepEqual(mails("mail eq 'BOB@contoso.com'"), ['bob@contoso.com']);
    assert.deepEqual(mails("userPrincipalName eq 'dora@contoso.com' and accountEnabled eq false"), [
      'dora@contoso.com',
    ]);
    assert.deepEqual(
      mails("userType eq 'Member' and accountEnabled eq true and startswith(displayName,'b')"),
      ['bob@contoso.com'],
    );
  });

  it('requires ConsistencyLevel: eventual and $count=true for ne, not and endsWith', () => {
    const router = routerFor(baseTenant());
    for (const [filter, operator] of [
      ['mail ne null', 'ne'],
      ["not(userType eq 'Guest')", 'not'],
      ["endswith(mail,'@fabrikam.com')", 'endsWith'],
    ] as const) {
      const bare = call(router, { path: '/users', query: { $filter: filter } });
      assert.equal(bare.status, 400);
      assert.equal(errorCode(bare), 'Request_UnsupportedQuery');
      assert.match(errorMessage(bare), new RegExp(`^Operator '${operator}' is not supported`));
      const headerOnly = call(router, {
        path: '/users',
        query: { $filter: filter },
        headers: { consistencylevel: 'eventual' },
      });
      assert.equal(headerOnly.status, 400);
      const countOnly = call(router, { path: '/users', query: { $filter: filter, $count: 'true' } });
      assert.equal(countOnly.status, 400);
      const both = call(router, {
        path: '/users',
        query: { $filter: filter, $count: 'true' },
        headers: EVENTUAL,
      });
      assert.equal(both.status, 200);
    }
    const withMail = call(router, {
      path: '/users',
      query: { $filter: 'mail ne null', $count: 'true' },
      headers: EVENTUAL,
    });
    assert.equal(withMail.body['@odata.count'], 8);
    assert.ok(withMail.body.value?.every((u) => u.mail !== null));
  });

  it('puts @odata.count on the first page only and fails a next page sent without the header', () => {
    const router = routerFor(bigTenant(30));
    const first = call(router, {
      path: '/users',
      query: { $filter: 'mail ne null', $count: 'true', $top: '7', $select: 'id,mail' },
      headers: EVENTUAL,
    });
    assert.equal(first.status, 200);
    assert.equal(first.body['@odata.count'], 20);
    const next = first.body['@odata.nextLink'] as string;
    const withoutHeader = follow(router, next);
    assert.equal(withoutHeader.status, 400);
    assert.equal(errorCode(withoutHeader), 'Request_UnsupportedQuery');
    let total = first.body.value?.length ?? 0;
    let link: string | undefined = next;
    while (link) {
      const page = follow(router, link, { headers: EVENTUAL });
      assert.equal(page.status, 200);
      assert.equal(page.body['@odata.count'], undefined);
      assert.deepEqual(Object.keys(page.body.value?.[0] ?? {}).sort(), ['id', 'mail']);
      total += page.body.value?.length ?? 0;
      link = page.body['@odata.nextLink'] as string | undefined;
    }
    assert.equal(total, 20);
  });

  it('silently ignores $count=true without ConsistencyLevel, as documented', () => {
    const reply = call(routerFor(baseTenant()), { path: '/users', query: { $count: 'true' } });
    assert.equal(reply.status, 200);
    assert.equal(reply.body['@odata.count'], undefined);
  });

  it('needs ConsistencyLevel for $search', () => {
    const router = routerFor(baseTenant());
    const bare = call(router, { path: '/users', query: { $search: '"displayName:dora"' } });
    assert.equal(bare.status, 400);
    assert.equal(errorCode(bare), 'Request_UnsupportedQuery');
    const ok = call(router, { path: '/users', query: { $search: '"displayName:dora"' }, headers: EVENTUAL });
    assert.deepEqual(
      ok.body.value?.map((u) => u.mail),
      ['dora@contoso.com'],
    );
  });

  it('rejects a bad skiptoken and a malformed filter', () => {
    const router = routerFor(baseTenant());
    assert.equal(call(router, { path: '/users', query: { $skiptoken: 'garbage' } }).status, 400);
    assert.equal(call(router, { path: '/users', query: { $filter: "mail eq 'x" } }).status, 400);
    const unsupported = call(router, { path: '/users', query: { $filter: "jobTitle eq 'x'" } });
    assert.equal(unsupported.status, 400);
    assert.equal(errorCode(unsupported), 'Request_UnsupportedQuery');
  });
});

describe('GET /users?$filter=proxyAddresses/any(…)', () => {
  const tenant = () => {
    const t = baseTenant();
    t.users[0]!.aliases = ['old.name@contoso.com'];
    return t;
  };
  const lookup = (filter: string, headers: Record<string, string> = EVENTUAL) =>
    call(routerFor(tenant()), { path: '/users', query: { $filter: filter, $count: 'true' }, headers });

  it('finds a user by a secondary address, case-insensitively, and by the primary one as smtp:', () => {
    const target = tenant().users[0]!;
    for (const address of ['smtp:old.name@contoso.com', 'SMTP:OLD.NAME@contoso.com', `smtp:${target.mail!}`]) {
      const reply = lookup(`proxyAddresses/any(p:p eq '${address}')`);
      assert.equal(reply.status, 200, address);
      assert.deepEqual(
        reply.body.value?.map((u) => u.id),
        [target.id],
        address,
      );
      assert.equal(reply.body['@odata.count'], 1);
    }
    assert.deepEqual(lookup("proxyAddresses/any(p:p eq 'smtp:nobody@contoso.com')").body.value, []);
  });

  it('serves startswith inside the lambda, and shows aliases in $select=proxyAddresses', () => {
    const reply = lookup("proxyAddresses/any(x:startswith(x,'smtp:old.'))");
    assert.equal(reply.status, 200);
    assert.equal(reply.body.value?.length, 1);
    const selected = call(routerFor(tenant()), {
      path: `/users/${tenant().users[0]!.id}`,
      query: { $select: 'proxyAddresses' },
    });
    assert.deepEqual(selected.body.proxyAddresses, [
      `SMTP:${tenant().users[0]!.mail!}`,
      'smtp:old.name@contoso.com',
    ]);
  });

  it('needs the advanced-query parameters, and refuses a lambda it cannot serve', () => {
    const bare = lookup("proxyAddresses/any(p:p eq 'smtp:old.name@contoso.com')", {});
    assert.equal(bare.status, 400);
    assert.equal(errorCode(bare), 'Request_UnsupportedQuery');
    assert.equal(lookup("mail/any(p:p eq 'x@contoso.com')").status, 400, 'not a collection');
    assert.equal(lookup("proxyAddresses/any(p:q eq 'smtp:x@contoso.com')").status, 400, 'not the variable');
    const syntax = lookup("proxyAddresses/any(p p eq 'x')");
    assert.equal(syntax.status, 400);
    assert.equal(errorCode(syntax), 'BadRequest');
  });
});

describe('GET /users/{id|userPrincipalName}', () => {
  it('resolves by id or by UPN in any case, percent-decoded', () => {
    const router = routerFor(baseTenant());
    const byId = call(router, { path: '/users/00000000-0000-0000-0000-00000000000A' });
    assert.equal(byId.status, 200);
    assert.equal(byId.body.userPrincipalName, 'adele@contoso.com');
    assert.equal(byId.body['@odata.context'], 'https://127.0.0.1:8443/v1.0/$metadata#users/$entity');
    const byUpn = call(router, { path: `/users/${encodeURIComponent('ADELE@contoso.com')}` });
    assert.equal(byUpn.body.id, '00000000-0000-0000-0000-00000000000a');
    const guest = call(router, {
      path: `/users/${encodeURIComponent('guest_fabrikam.com#EXT#@contoso.onmicrosoft.com')}`,
    });
    assert.equal(guest.status, 200);
  });

  it('does not resolve by mail and answers 404 Request_ResourceNotFound', () => {
    const router = routerFor(baseTenant());
    const reply = call(router, { path: `/users/${encodeURIComponent('guest@fabrikam.com')}` });
    assert.equal(reply.status, 404);
    assert.equal(errorCode(reply), 'Request_ResourceNotFound');
    assert.equal(
      errorMessage(reply),
      "Resource 'guest@fabrikam.com' does not exist or one of its queried reference-property objects are not present.",
    );
  });
});
