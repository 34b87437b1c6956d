import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildQuery, encodeQueryValue, eqFilter, quoteODataString } from '../../src/graph/odata.ts';

const NASTY_MESSAGE_ID = "<o'brien+tag#1&x=%41<>@contoso.com> ünï 日本";

test('quoteODataString doubles single quotes inside the literal', () => {
  assert.equal(quoteODataString("it's"), "'it''s'");
  assert.equal(quoteODataString("''"), "''''''");
  assert.equal(quoteODataString('plain'), "'plain'");
});

test('eqFilter builds a quoted equality', () => {
  assert.equal(eqFilter('internetMessageId', "<a'b@x>"), "internetMessageId eq '<a''b@x>'");
});

test('encodeQueryValue encodes every reserved character a form decoder would misread', () => {
  const encoded = encodeQueryValue("a+b#c&d=e%f<g>h i!(j)*k'l");
  assert.equal(encoded, "a%2Bb%23c%26d%3De%25f%3Cg%3Eh%20i%21%28j%29%2Ak'l");
  assert.equal(encodeQueryValue('AZaz09-._~'), 'AZaz09-._~');
  assert.equal(encodeQueryValue('é'), '%C3%A9');
});

test('buildQuery keeps $ names literal, skips undefined, encodes values', () => {
  assert.equal(buildQuery({}), '');
  assert.equal(buildQuery({ $top: 10, $count: true, $skip: undefined }), '?$top=10&$count=true');
  assert.equal(buildQuery({ 'odd name': 'v' }), '?odd%20name=v');
  assert.equal(buildQuery({ $select: 'id,subject' }), '?$select=id%2Csubject');
});

test('a filter with quotes, +, #, &, %, <, >, non-ASCII survives a server-side URLSearchParams decode', () => {
  const filter = eqFilter('internetMessageId', NASTY_MESSAGE_ID);
  const query = buildQuery({ $filter: filter, $top: 5 });
  const decoded = new URLSearchParams(query.slice(1));
  assert.equal(decoded.get('$filter'), filter);
  assert.equal(decoded.get('$top'), '5');
  assert.deepEqual([...decoded.keys()], ['$filter', '$top']);
  // And through a full URL parse, as an HTTP server would see it.
  const url = new URL(`https://graph.example/v1.0/users/x/messages${query}`);
  assert.equal(
    url.searchParams.get('$filter'),
    `internetMessageId eq '${NASTY_MESSAGE_ID.replaceAll("'", "''")}'`,
  );
  assert.equal(url.hash, '');
});
