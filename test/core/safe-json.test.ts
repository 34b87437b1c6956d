import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeJsonStringify } from '../../src/core/safe-json.ts';

test('C1 controls, DEL and bidi overrides are escaped; the JSON parses back to the same value', () => {
  const value = { subject: 'a\u009b31mb\u007fc\u202eevil\u2066d', n: 1, nested: ['\u0085'] };
  const text = safeJsonStringify(value, 2);
  assert.doesNotMatch(text, /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  assert.match(text, /\\u009b31m/);
  assert.deepEqual(JSON.parse(text), value);
});

test('ordinary text, including non-Latin scripts, is left as JSON.stringify wrote it', () => {
  const value = { subject: 'Résumé — 請求書 ✓' };
  assert.equal(safeJsonStringify(value), JSON.stringify(value));
});
