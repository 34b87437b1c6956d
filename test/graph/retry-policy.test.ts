import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryAfterTooLong,
  retryDelayMs,
} from '../../src/graph/retry-policy.ts';

const NOW = Date.parse('2026-01-15T10:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    assert.equal(parseRetryAfter('120', NOW), 120_000);
    assert.equal(parseRetryAfter(' 0 ', NOW), 0);
    assert.equal(parseRetryAfter('1.5', NOW), 1500);
  });
  it('reads an HTTP date relative to now, never negative', () => {
    assert.equal(parseRetryAfter('Thu, 15 Jan 2026 10:00:07 GMT', NOW), 7000);
    assert.equal(parseRetryAfter('Thu, 15 Jan 2026 09:59:00 GMT', NOW), 0);
  });
  it('returns undefined for absent or unreadable values', () => {
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
    assert.equal(parseRetryAfter(null, NOW), undefined);
    assert.equal(parseRetryAfter('', NOW), undefined);
    assert.equal(parseRetryAfter('soon', NOW), undefined);
    assert.equal(parseRetryAfter('-5', NOW), undefined);
  });
});

describe('retryDelayMs', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxBackoffMs: 1000 };
  it('uses Retry-After exactly, even beyond the backoff ceiling', () => {
    assert.equal(
      retryDelayMs(1, 5000, policy, () => 0.5),
      5000,
    );
    assert.equal(
      retryDelayMs(4, 0, policy, () => 0.5),
      0,
    );
  });
  it('uses full-jitter exponential backoff without Retry-After', () => {
    assert.equal(
      retryDelayMs(1, undefined, policy, () => 0.999),
      99,
    );
    assert.equal(
      retryDelayMs(3, undefined, policy, () => 0.5),
      200,
    );
    assert.equal(
      retryDelayMs(10, undefined, policy, () => 0.5),
      500,
    ); // capped at maxBackoffMs
    assert.equal(
      retryDelayMs(2, undefined, policy, () => 0),
      0,
    );
  });
  it('stays within [0, ceiling) for random draws', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const delay = retryDelayMs(attempt, undefined, policy);
      assert.ok(
        delay >= 0 && delay < Math.min(1000, 100 * 2 ** (attempt - 1)),
        `attempt ${attempt}: ${delay}`,
      );
    }
  });
  it('flags Retry-After longer than the policy accepts', () => {
    assert.equal(retryAfterTooLong(DEFAULT_RETRY_POLICY.maxRetryAfterMs + 1, DEFAULT_RETRY_POLICY), true);
    assert.equal(retryAfterTooLong(DEFAULT_RETRY_POLICY.maxRetryAfterMs, DEFAULT_RETRY_POLICY), false);
    assert.equal(retryAfterTooLong(undefined, DEFAULT_RETRY_POLICY), false);
  });
});
