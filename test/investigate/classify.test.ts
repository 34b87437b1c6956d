import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GraphError, TokenError } from '../../src/graph/errors.ts';
import { classifyFailure } from '../../src/investigate/classify.ts';

const graph = (status: number, code: string) =>
  new GraphError({ status, code, message: `${status} ${code}`, requestId: `req-${code}` });

describe('classifyFailure', () => {
  const table: [unknown, string][] = [
    [graph(404, 'MailboxNotEnabledForRESTAPI'), 'noMailbox'],
    [graph(404, 'ResourceNotFound'), 'mailboxNotFound'],
    [graph(404, 'ErrorInvalidUser'), 'mailboxNotFound'],
    [graph(403, 'ErrorAccessDenied'), 'accessDenied'],
    [graph(429, 'ApplicationThrottled'), 'throttled'],
    [graph(500, 'InternalServerError'), 'error'],
    [graph(403, 'Authorization_RequestDenied'), 'error'],
    [graph(0, 'NetworkError'), 'error'],
  ];
  for (const [error, reason] of table) {
    it(`${(error as GraphError).status} ${(error as GraphError).code} → ${reason}, keeping the request id`, () => {
      const classified = classifyFailure(error);
      assert.equal(classified.reason, reason);
      assert.equal(classified.requestId, (error as GraphError).requestId);
      assert.ok(classified.detail.length > 0);
    });
  }

  it('names the Graph code of an unrecognised failure', () => {
    assert.equal(classifyFailure(graph(500, 'InternalServerError')).detail, '500 InternalServerError');
    assert.equal(classifyFailure(graph(0, 'Timeout')).detail, 'Timeout');
  });

  it('keeps foreign error messages out of the detail (they may hold anything)', () => {
    const classified = classifyFailure(new TypeError('secret=abc123 leaked'));
    assert.deepEqual(classified, { reason: 'error', detail: 'TypeError' });
    const token = new TokenError({
      message: 'AADSTS7000215',
      aadstsCode: 7000215,
      error: 'invalid_client',
      explanation: 'the client secret is wrong',
      fix: 'paste the secret value',
    });
    assert.deepEqual(classifyFailure(token), {
      reason: 'error',
      detail: 'token: the client secret is wrong',
    });
  });
});
