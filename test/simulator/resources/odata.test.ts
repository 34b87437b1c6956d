import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ODataSyntaxError,
  parseFilter,
  parseQuery,
  pathSegments,
} from '../../../src/simulator/resources/odata.ts';

describe('parseQuery', () => {
  it('decodes names and values with form semantics: + is a space, %2B a plus', () => {
    const options = parseQuery('%24filter=a+b%2Bc&%24top=5&flag');
    assert.equal(options.get('$filter'), 'a b+c');
    assert.equal(options.get('$top'), '5');
    assert.equal(options.get('flag'), '');
  });

  it('rejects an option given twice and a broken percent-encoding', () => {
    assert.throws(() => parseQuery('$top=1&$top=2'), ODataSyntaxError);
    assert.throws(() => parseQuery('$filter=%E0%A4%A'), ODataSyntaxError);
  });
});

describe('pathSegments', () => {
  it('decodes each segment and splits OData key syntax', () => {
    assert.deepEqual(pathSegments("/users('o''neil%40contoso.com')/mailFolders('inbox')/messages"), [
      'users',
      "o'neil@contoso.com",
      'mailFolders',
      'inbox',
      'messages',
    ]);
    assert.deepEqual(pathSegments('/users/a+b%40c.com'), ['users', 'a+b@c.com']);
  });
});

describe('parseFilter', () => {
  it('parses comparisons, functions, and/or precedence and escaped quotes', () => {
    const expr = parseFilter("internetMessageId eq 'it''s' and startswith(displayName,'A') or mail ne null");
    assert.equal(expr.kind, 'or');
    if (expr.kind !== 'or') return;
    assert.equal(expr.left.kind, 'and');
    assert.deepEqual(expr.right, { kind: 'compare', op: 'ne', property: 'mail', value: { type: 'null' } });
    if (expr.left.kind !== 'and') return;
    assert.deepEqual(expr.left.left, {
      kind: 'compare',
      op: 'eq',
      property: 'internetMessageId',
      value: { type: 'string', value: "it's" },
    });
    assert.deepEqual(expr.left.right, {
      kind: 'call',
      name: 'startswith',
      property: 'displayName',
      value: { type: 'string', value: 'A' },
    });
  });

  it('keeps unquoted timestamps as written', () => {
    const expr = parseFilter('receivedDateTime ge 2026-01-20T00:00:00Z');
    assert.deepEqual(expr, {
      kind: 'compare',
      op: 'ge',
      property: 'receivedDateTime',
      value: { type: 'datetime', text: '2026-01-20T00:00:00Z' },
    });
  });

  it('turns an injected quote into a literal or a syntax error, never a wider match', () => {
    // Properly escaped: one literal that contains the attack text.
    const escaped = parseFilter("internetMessageId eq 'x'' or internetMessageId ne ''y'");
    assert.deepEqual(escaped, {
      kind: 'compare',
      op: 'eq',
      property: 'internetMessageId',
      value: { type: 'string', value: "x' or internetMessageId ne 'y" },
    });
    // Unescaped with a dangling quote: unterminated literal.
    assert.throws(() => parseFilter("internetMessageId eq 'x' or internetMessageId ne 'y"), ODataSyntaxError);
    // Trailing junk after a literal.
    assert.throws(() => parseFilter("internetMessageId eq 'x' junk"), ODataSyntaxError);
    assert.throws(() => parseFilter(''), ODataSyntaxError);
    assert.throws(() => parseFilter("mail eq 'a' and"), ODataSyntaxError);
  });

  it('fails on a timestamp whose + was decoded to a space', () => {
    assert.throws(() => parseFilter('receivedDateTime ge 2026-01-20T00:00:00 01:00'), ODataSyntaxError);
  });
});
