import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wellKnownFolderId } from '../../../src/simulator/model.ts';
import {
  baseTenant,
  CAMPAIGN_ID,
  call,
  copy,
  encodeQuery,
  errorCode,
  errorMessage,
  follow,
  request,
  routerFor,
} from './helpers.ts';

const ADELE = '00000000-0000-0000-0000-00000000000a';
const DORA = '00000000-0000-0000-0000-000000000010';
const SELECT =
  'id,internetMessageId,subject,from,sender,toRecipients,receivedDateTime,parentFolderId,isRead,hasAttachments';

function mailTenant() {
  const tenant = baseTenant();
  tenant.customFolders = [
    {
      mailboxUserId: ADELE,
      id: 'AAMkCustomFolderProjectsAAA=',
      displayName: 'Projects',
      parentFolder: 'inbox',
    },
  ];
  tenant.copies = [
    copy(ADELE, 'msg-a-inbox', 'inbox'),
    copy(ADELE, 'msg-a-inbox-2', 'inbox', { receivedDateTime: '2026-03-01T09:00:05Z', isRead: true }),
    copy(ADELE, 'msg-a-deleted', 'deleteditems'),
    copy(ADELE, 'msg-a-custom', 'AAMkCustomFolderProjectsAAA='),
    copy(ADELE, 'msg-a-recoverable', 'recoverableitemsdeletions'),
    copy(ADELE, 'msg-a-other', 'inbox', {
      internetMessageId: '<other@contoso.com>',
      receivedDateTime: '2026-02-20T08:00:00Z',
    }),
    copy(DORA, 'msg-d-junk', 'junkemail'),
    ...Array.from({ length: 25 }, (_, i) =>
      copy(DORA, `bulk-${String(i).padStart(2, '0')}`, 'inbox', {
        internetMessageId: `<bulk-${i}@contoso.com>`,
        receivedDateTime: `2026-02-${String(1 + i).padStart(2, '0')}T10:00:00Z`,
      }),
    ),
  ];
  return tenant;
}

const search = (id: string) => ({
  $filter: `internetMessageId eq '${id.replaceAll("'", "''")}'`,
  $select: SELECT,
});

describe('mailbox access', () => {
  const router = routerFor(mailTenant());
  const cases: [string, number, string, string | undefined][] = [
    ['nobody@contoso.com', 404, 'ResourceNotFound', undefined],
    ['ghost@contoso.com', 404, 'ErrorInvalidUser', undefined],
    [
      'guest_fabrikam.com#EXT#@contoso.onmicrosoft.com',
      404,
      'MailboxNotEnabledForRESTAPI',
      'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
    ],
    ['onprem@contoso.com', 404, 'MailboxNotEnabledForRESTAPI', undefined],
    ['gone@contoso.com', 404, 'MailboxNotEnabledForRESTAPI', undefined],
    ['bob@contoso.com', 403, 'ErrorAccessDenied', 'Access to OData is disabled.'],
  ];
  for (const [upn, status, code, message] of cases) {
    it(`${upn} → ${status} ${code} on every mailbox route`, () => {
      for (const suffix of [
        '/messages',
        '/mailFolders/inbox',
        '/mailFolders/inbox/messages',
        '/mailFolders/inbox/childFolders',
      ]) {
        const reply = call(router, {
          path: `/users/${encodeURIComponent(upn)}${suffix}`,
          query: suffix.endsWith('messages') ? search(CAMPAIGN_ID) : {},
        });
        assert.equal(reply.status, status, `${suffix}: ${JSON.stringify(reply.body)}`);
        assert.equal(errorCode(reply), code);
        if (message) assert.equal(errorMessage(reply), message);
      }
    });
  }

  it('serves disabled accounts and shared mailboxes', () => {
    assert.equal(call(router, { path: '/users/dora@contoso.com/messages' }).status, 200);
    assert.equal(call(router, { path: '/users/shared@contoso.com/messages' }).status, 200);
  });

  it('reads user flags live, after the router was built', () => {
    const tenant = mailTenant();
    const live = routerFor(tenant);
    assert.equal(call(live, { path: `/users/${ADELE}/messages` }).status, 200);
    (tenant.users[0] as { excludedByAccessPolicy: boolean }).excludedByAccessPolicy = true;
    assert.equal(call(live, { path: `/users/${ADELE}/messages` }).status, 403);
  });
});

describe('GET /users/{x}/messages', () => {
  const router = routerFor(mailTenant());

  it('finds every copy outside Recoverable Items, shaped like Graph, newest first', () => {
    const reply = call(router, {
      path: `/users/${encodeURIComponent('Adele@Contoso.com')}/messages`,
      query: search(CAMPAIGN_ID),
    });
    assert.equal(reply.status, 200);
    const ids = reply.body.value?.map((m) => m.id);
    assert.deepEqual(ids, ['msg-a-inbox-2', 'msg-a-custom', 'msg-a-deleted', 'msg-a-inbox']);
    const first = reply.body.value?.[0] as Record<string, unknown>;
    assert.match(first['@odata.etag'] as string, /^W\/"/);
    assert.deepEqual(first.from, { emailAddress: { name: 'Billing', address: 'billing@evil.example' } });
    assert.deepEqual(first.toRecipients, [{ emailAddress: { name: 'Adele', address: 'adele@contoso.com' } }]);
    assert.equal(first.parentFolderId, wellKnownFolderId(ADELE, 'inbox'));
    assert.equal(first.internetMessageId, CAMPAIGN_ID);
    assert.equal(first.isRead, true);
    assert.match(reply.body['@odata.context'] as string, /\/\$metadata#users\('.*'\)\/messages\(id,/);
  });

  it('serves $count=true and $orderby=receivedDateTime, and refuses what it does not model', () => {
    const path = `/users/${encodeURIComponent('Adele@Contoso.com')}/messages`;
    const counted = call(router, { path, query: { ...search(CAMPAIGN_ID), $count: 'true', $top: '1' } });
    assert.equal(counted.status, 200);
    assert.equal(counted.body['@odata.count'], 4, 'every match, not the page');
    assert.equal(counted.body.value?.length, 1);
    const oldest = call(router, { path, query: { $orderby: 'receivedDateTime asc' } });
    assert.equal(oldest.status, 200);
    const times = oldest.body.value?.map((m) => m.receivedDateTime as string) ?? [];
    assert.deepEqual(times, [...times].sort(), 'oldest first');
    // With a $filter, the $orderby property must lead it (documented), else Outlook refuses the query.
    const tooComplex = call(router, { path, query: { ...search(CAMPAIGN_ID), $orderby: 'receivedDateTime desc' } });
    assert.equal(tooComplex.status, 400);
    assert.equal(errorCode(tooComplex), 'InefficientFilter');
    for (const query of [{ $search: '"invoice"' }, { $orderby: 'subject' }]) {
      const refused = call(router, { path, query });
      assert.equal(refused.status, 400, JSON.stringify(query));
    }
  });

  it('returns only the selected properties plus id and @odata.etag', () => {
    const reply = call(router, {
      path: `/users/${ADELE}/messages`,
      query: { ...search(CAMPAIGN_ID), $select: 'subject' },
    });
    assert.deepEqual(Object.keys(reply.body.value?.[0] ?? {}).sort(), ['@odata.etag', 'id', 'subject']);
    const bad = call(router, { path: `/users/${ADELE}/messages`, query: { $select: 'body' } });
    assert.equal(bad.status, 400);
  });

  it('searches Recoverable Items through its well-known folder', () => {
    const reply = call(router, {
      path: `/users/${ADELE}/mailFolders('recoverableitemsdeletions')/messages`,
      query: search(CAMPAIGN_ID),
    });
    assert.deepEqual(
      reply.body.value?.map((m) => m.id),
      ['msg-a-recoverable'],
    );
    assert.equal(
      reply.body.value?.[0]?.parentFolderId,
      wellKnownFolderId(ADELE, 'recoverableitemsdeletions'),
    );
    const byId = call(router, {
      path: `/users/${ADELE}/mailFolders/${encodeURIComponent(wellKnownFolderId(ADELE, 'junkemail'))}/messages`,
    });
    assert.deepEqual(byId.body.value, []);
  });

  it('serves every documented well-known folder name (empty folders answer 200, not 404)', () => {
    for (const name of ['searchfolders', 'scheduled', 'syncissues', 'conflicts', 'localfailures', 'serverfailures']) {
      const reply = call(router, { path: `/users/${ADELE}/mailFolders('${name}')/messages` });
      assert.equal(reply.status, 200, name);
      assert.deepEqual(reply.body.value, [], name);
    }
  });

  it('matches internetMessageId exactly: an unencoded + becomes a space and matches nothing', () => {
    const tenant = mailTenant();
    tenant.copies.push(copy(ADELE, 'plus', 'inbox', { internetMessageId: '<a+b@contoso.com>' }));
    const live = routerFor(tenant);
    const encoded = call(live, { path: `/users/${ADELE}/messages`, query: search('<a+b@contoso.com>') });
    assert.deepEqual(
      encoded.body.value?.map((m) => m.id),
      ['plus'],
    );
    const careless = call(live, {
      path: `/users/${ADELE}/messages`,
      rawQuery: `$filter=internetMessageId eq '<a+b@contoso.com>'`.replaceAll(' ', '%20'),
    });
    assert.equal(careless.status, 200);
    assert.deepEqual(careless.body.value, []);
    const noBrackets = call(live, { path: `/users/${ADELE}/messages`, query: search('a+b@contoso.com') });
    assert.deepEqual(noBrackets.body.value, []);
  });

  it('does not let a quote injection widen the match', () => {
    const attack = "x' or internetMessageId ne 'y";
    const escaped = call(router, { path: `/users/${ADELE}/messages`, query: search(attack) });
    assert.equal(escaped.status, 200);
    assert.deepEqual(escaped.body.value, []);
    const unescaped = call(router, {
      path: `/users/${ADELE}/messages`,
      query: { $filter: `internetMessageId eq '${attack}'` },
    });
    assert.equal(unescaped.status, 400);
    assert.equal(errorCode(unescaped), 'BadRequest');
    assert.equal(errorMessage(unescaped), 'Invalid filter clause');
    const dangling = call(router, {
      path: `/users/${ADELE}/messages`,
      query: { $filter: "internetMessageId eq 'x' or" },
    });
    assert.equal(dangling.status, 400);
  });

  it('combines internetMessageId with receivedDateTime bounds', () => {
    const within = call(router, {
      path: `/users/${ADELE}/messages`,
      query: {
        $filter: `internetMessageId eq '${CAMPAIGN_ID}' and receivedDateTime ge 2026-03-01T09:00:01Z`,
      },
    });
    assert.deepEqual(
      within.body.value?.map((m) => m.id),
      ['msg-a-inbox-2'],
    );
    const range = call(router, {
      path: `/users/${ADELE}/messages`,
      query: {
        $filter: 'receivedDateTime ge 2026-02-01T00:00:00Z and receivedDateTime le 2026-02-28T00:00:00Z',
      },
    });
    assert.deepEqual(
      range.body.value?.map((m) => m.id),
      ['msg-a-other'],
    );
  });

  it('pages with $top (default 10, max 1000) and a nextLink carrying $skip', () => {
    const first = call(router, { path: `/users/${DORA}/messages` });
    assert.equal(first.body.value?.length, 10);
    const next = first.body['@odata.nextLink'] as string;
    assert.match(next, /%24skip=10/);
    const seen = new Set(first.body.value?.map((m) => m.id));
    let link: string | undefined = next;
    while (link) {
      const page = follow(router, link);
      for (const m of page.body.value ?? []) seen.add(m.id);
      link = page.body['@odata.nextLink'] as string | undefined;
    }
    assert.equal(seen.size, 26);
    assert.equal(
      call(router, { path: `/users/${DORA}/messages`, query: { $top: '1000' } }).body.value?.length,
      26,
    );
    assert.equal(call(router, { path: `/users/${DORA}/messages`, query: { $top: '1001' } }).status, 400);
    assert.equal(call(router, { path: `/users/${DORA}/messages`, query: { $top: '0' } }).status, 400);
  });
});

describe('GET /users/{x}/mailFolders', () => {
  const router = routerFor(mailTenant());

  it('gets a folder by well-known name or id with counts', () => {
    const inbox = call(router, { path: `/users/${ADELE}/mailFolders/Inbox` });
    assert.equal(inbox.status, 200);
    const { '@odata.context': _context, ...folder } = inbox.body;
    assert.deepEqual(folder, {
      id: wellKnownFolderId(ADELE, 'inbox'),
      displayName: 'Inbox',
      parentFolderId: wellKnownFolderId(ADELE, 'msgfolderroot'),
      childFolderCount: 1,
      unreadItemCount: 2,
      totalItemCount: 3,
      isHidden: false,
    });
    const byId = call(router, {
      path: `/users/${ADELE}/mailFolders/${encodeURIComponent(wellKnownFolderId(ADELE, 'archive'))}`,
    });
    assert.equal(byId.body.displayName, 'Archive');
  });

  it('answers 404 ErrorItemNotFound for an unknown id and 400 ErrorInvalidIdMalformed for a malformed one', () => {
    const otherMailbox = call(router, {
      path: `/users/${ADELE}/mailFolders/${encodeURIComponent(wellKnownFolderId(DORA, 'inbox'))}`,
    });
    assert.equal(otherMailbox.status, 404);
    assert.equal(errorCode(otherMailbox), 'ErrorItemNotFound');
    assert.equal(errorMessage(otherMailbox), 'The specified object was not found in the store.');
    const malformed = call(router, { path: `/users/${ADELE}/mailFolders/not%20an%20id` });
    assert.equal(malformed.status, 400);
    assert.equal(errorCode(malformed), 'ErrorInvalidIdMalformed');
  });

  it('lists child folders, including custom ones', () => {
    const children = call(router, { path: `/users/${ADELE}/mailFolders/inbox/childFolders` });
    assert.deepEqual(
      children.body.value?.map((f) => f.displayName),
      ['Projects'],
    );
    assert.equal(children.body.value?.[0]?.totalItemCount, 1);
    const top = call(router, { path: `/users/${ADELE}/mailFolders` });
    assert.ok(top.body.value?.some((f) => f.displayName === 'Junk Email'));
    assert.ok(!top.body.value?.some((f) => f.displayName === 'Deletions'));
  });
});

describe('routing', () => {
  const router = routerFor(mailTenant());
  it('leaves unknown paths to the core and refuses other methods', () => {
    assert.equal(router(request({ path: '/users/x/contacts' })), undefined);
    const post = call(router, { path: '/users', method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(call(router, { path: '/me/messages' }).status, 400);
    assert.equal(
      call(router, { path: '/users', rawQuery: encodeQuery({ $top: '1' }) + '&$top=2' }).status,
      400,
    );
  });
});

describe('mail that has not arrived yet', () => {
  it('is invisible until the sim clock reaches its receivedDateTime', () => {
    const tenant = baseTenant();
    tenant.copies = [copy(ADELE, 'msg-future', 'inbox', { receivedDateTime: '2026-03-01T12:30:00Z' })];
    const router = routerFor(tenant);
    const at = (now: string) =>
      call(router, { path: `/users/${ADELE}/messages`, query: search(CAMPAIGN_ID), now: new Date(now) }).body
        .value;
    assert.deepEqual(at('2026-03-01T12:29:59Z'), []);
    assert.deepEqual(
      at('2026-03-01T12:30:00Z')?.map((m) => m.id),
      ['msg-future'],
    );
  });
});
