import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildQuery } from '../../src/graph/odata.ts';
import { searchFilter } from '../../src/trace/search.ts';

const WINDOW = { start: Date.parse('2026-03-01T00:00:00Z'), end: Date.parse('2026-03-02T00:00:00Z') };

test('criteria are quoted as OData literals and the whole filter is percent-encoded', () => {
  const filter = searchFilter(WINDOW, {
    messageId: "<a+b'c@x.com>",
    senderAddress: "o'brien@fabrikam.com",
    status: 'delivered',
    subjectContains: "it's",
  });
  assert.equal(
    filter,
    'receivedDateTime ge 2026-03-01T00:00:00Z and receivedDateTime le 2026-03-02T00:00:00Z' +
      " and messageId eq '<a+b''c@x.com>' and senderAddress eq 'o''brien@fabrikam.com'" +
      " and status eq 'delivered' and contains(subject, 'it''s')",
  );
  const query = buildQuery({ $filter: filter });
  assert.ok(query.includes('%2B'), 'a + is encoded, never sent raw (it would become a space)');
  assert.ok(!query.includes('+'));
});

test('without criteria the filter is the window alone', () => {
  assert.equal(
    searchFilter(WINDOW, {}),
    'receivedDateTime ge 2026-03-01T00:00:00Z and receivedDateTime le 2026-03-02T00:00:00Z',
  );
});
