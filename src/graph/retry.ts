// Retries what is safe and worth retrying: idempotent requests that failed with 429, 503, 504 or a network error.
// Retry-After is honoured exactly (retrying sooner only extends throttling); without it, full-jitter exponential
// backoff. A Retry-After longer than the policy allows is not shortened: the error goes to the caller.
import { randomUUID } from 'node:crypto';
import { systemClock } from './clock.ts';
import { GraphError, isTransient } from './errors.ts';
import { silentLogger } from './logger.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryAfterTooLong, retryDelayMs } from './retry-policy.ts';
import type { Clock, GraphRequest, Logger, Plugin } from './types.ts';

export interface RetryPluginOptions {
  policy?: RetryPolicy;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

export function isIdempotent(request: Pick<GraphRequest, 'method' | 'idempotent'>): boolean {
  return (
    request.idempotent ??
    (request.method === 'GET' || request.method === 'PUT' || request.method === 'DELETE')
  );
}

export function retryPlugin(options: RetryPluginOptions = {}): Plugin {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger;
  return (next) =>
    async <T>(request: GraphRequest) => {
      if (!isIdempotent(request)) return next<T>(request);
      // One client-request-id for all attempts, so Microsoft support can follow the request across retries.
      const hasId = Object.keys(request.headers ?? {}).some((k) => k.toLowerCase() === 'client-request-id');
      const attemptRequest: GraphRequest = hasId
        ? request
        : { ...request, headers: { ...request.headers, 'client-request-id': randomUUID() } };
      for (let attempt = 1; ; attempt++) {
        try {
          return await next<T>(attemptRequest);
        } catch (error) {
          if (!isTransient(error) || attempt >= policy.maxAttempts) throw error;
          const graphError = error as GraphError;
          if (retryAfterTooLong(graphError.retryAfterMs, policy)) throw error;
          const delayMs = retryDelayMs(attempt, graphError.retryAfterMs, policy, random);
          logger.debug('graph.retry', {
            method: graphError.request?.method ?? request.method,
            url: graphError.request?.url,
            status: graphError.status,
            code: graphError.code,
            attempt,
            delayMs,
            retryAfterMs: graphError.retryAfterMs,
          });
          await clock.sleep(delayMs, request.signal);
        }
      }
    };
}

export { GraphError };
