import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  GraphError,
  isAccessDeniedByPolicy,
  isAuthError,
  isMailboxNotFound,
  isNoMailbox,
  isThrottled,
  isTransient,
  TokenError,
} from '../../src/graph/errors.ts';

const NOW = Date.parse('2026-01-15T10:00:00Z');

function err(status: number, code: string): GraphError {
  return new GraphError({ status, code, message: code });
}

describe('GraphError.fromResponse', () => {
  it('reads a top-level Graph error with Headers', () => {
    const headers = new Headers({ 'request-id': 'hdr-req', 'retry-after': '17' });
    const body = {
      error: {
        code: 'ApplicationThrottled',
        message: 'Application is over its MailboxConcurrency limit.',
        innerError: { date: '2026-01-15T10:00:00Z', 'request-id': 'body-req', 'client-request-id': 'cli-1' },
      },
    };
    const e = GraphError.fromResponse(429, headers, body, { method: 'GET', url: '/users/a/messages' }, NOW);
    assert.equal(e.name, 'GraphError');
    assert.ok(e instanceof Error);
    assert.equal(e.status, 429);
    assert.equal(e.code, 'ApplicationThrottled');
    assert.equal(e.requestId, 'hdr-req');
    assert.equal(e.clientRequestId, 'cli-1');
    assert.equal(e.date, '2026-01-15T10:00:00Z');
    assert.equal(e.retryAfterMs, 17_000);
    assert.deepEqual(e.request, { method: 'GET', url: '/users/a/messages' });
    assert.match(e.message, /429 ApplicationThrottled: Application is over its MailboxConcurrency limit/);
  });
  it('reads a $batch item with a plain, mixed-case header record and an HTTP-date Retry-After', () => {
    const e = GraphError.fromResponse(
      503,
      { 'Retry-After': 'Thu, 15 Jan 2026 10:00:30 GMT' },
      { error: { code: 'ServiceUnavailable', message: 'busy', innerError: { 'request-id': 'item-req' } } },
      undefined,
      NOW,
    );
    assert.equal(e.retryAfterMs, 30_000);
    assert.equal(e.requestId, 'item-req');
    assert.equal(e.request, undefined);
  });
  it('tolerates bodies that are not Graph errors', () => {
    const html = GraphError.fromResponse(502, {}, '<html>Bad gateway</html>');
    assert.equal(html.code, 'UnknownError');
    assert.match(html.message, /Bad gateway/);
    const empty = GraphError.fromResponse(429, {}, undefined);
    assert.equal(empty.code, 'TooManyRequests');
    assert.equal(empty.retryAfterMs, undefined);
  });
  it('redacts secrets that appear in the message', () => {
    const e = GraphError.fromResponse(
      400,
      {},
      { error: { code: 'BadRequest', message: 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc' } },
    );
    assert.doesNotMatch(e.message, /eyJhbGciOiJIUzI1NiJ9/);
  });
});

describe('classification', () => {
  it('tells mailbox outcomes apart', () => {
    assert.equal(isNoMailbox(err(404, 'MailboxNotEnabledForRESTAPI')), true);
    assert.equal(isNoMailbox(err(404, 'ResourceNotFound')), false);
    for (const code of ['ResourceNotFound', 'ErrorInvalidUser', 'Request_ResourceNotFound']) {
      assert.equal(isMailboxNotFound(err(404, code)), true, code);
    }
    assert.equal(isMailboxNotFound(err(404, 'MailboxNotEnabledForRESTAPI')), false);
    assert.equal(isAccessDeniedByPolicy(err(403, 'ErrorAccessDenied')), true);
    assert.equal(isAccessDeniedByPolicy(err(403, 'Authorization_RequestDenied')), false);
    assert.equal(isNoMailbox(new Error('MailboxNotEnabledForRESTAPI')), false);
  });
  it('retries throttling, unavailability and network failures, not 500 or client errors', () => {
    assert.equal(isThrottled(err(429, 'TooManyRequests')), true);
    for (const e of [
      err(429, 'x'),
      err(503, 'x'),
      err(504, 'x'),
      err(0, 'NetworkError'),
      err(0, 'Timeout'),
    ]) {
      assert.equal(isTransient(e), true, `${e.status} ${e.code}`);
    }
    for (const e of [
      err(500, 'UnknownError'),
      err(400, 'BadRequest'),
      err(404, 'x'),
      err(0, 'UnsafeUrl'),
      err(0, 'TlsError'),
    ]) {
      assert.equal(isTransient(e), false, `${e.status} ${e.code}`);
    }
    assert.equal(isTransient(new TypeError('fetch failed')), false);
  });
  it('recognises auth errors', () => {
    const tokenError = new TokenError({
      message: 'm',
      aadstsCode: 7000215,
      error: 'invalid_client',
      explanation: 'e',
      fix: 'f',
    });
    assert.equal(isAuthError(tokenError), true);
    assert.equal(isAuthError(err(401, 'InvalidAuthenticationToken')), true);
    assert.equal(isAuthError(err(403, 'Authorization_RequestDenied')), true);
    assert.equal(isAuthError(err(403, 'ErrorAccessDenied')), false);
    assert.equal(isAuthError(err(404, 'ResourceNotFound')), false);
  });
});
