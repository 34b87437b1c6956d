// JSON $batch with per-item retries. Graph answers a $batch 200 as soon as it parses, and each inner request
// succeeds or fails on its own, including 429 with its own Retry-After that no Microsoft SDK retries. This runner
// streams any number of items through batches of ≤ 20, keeps `concurrency` batches in flight, retries throttled
// items individually after their own Retry-After, and holds each item's mailbox permit while its batch is in
// flight so that batches never breach Outlook's 4-requests-per-mailbox limit.
import { BatchRun } from './batch-run.ts';
import type { GraphError } from './errors.ts';
import type { Limiter } from './limiter.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { Clock, Send } from './types.ts';

export interface BatchItem {
  /** Unique among the items given; generated (the item's 1-based position in the input) when absent. */
  id?: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Relative to the version root, e.g. "/users/x/messages?$filter=…" (a version prefix or origin is stripped). */
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Ids of earlier items (given explicitly) that must succeed first; a failed dependency fails this item (424). */
  dependsOn?: string[];
  /** Limiter key; derived from a '/users/{id}/…' URL when absent. */
  mailbox?: string;
}

export type BatchResult<T = unknown> =
  | { id: string; item: BatchItem; ok: true; status: number; headers: Record<string, string>; body: T }
  | { id: string; item: BatchItem; ok: false; error: GraphError };

export interface BatchOptions {
  /** $batch requests in flight at once (default 4). */
  concurrency?: number;
  /** Per-mailbox limiter, applied to items: an item holds its mailbox's permit while its batch is in flight. */
  limiter?: Limiter;
  clock?: Clock;
  policy?: RetryPolicy;
  random?: () => number;
  signal?: AbortSignal;
  onResult?: (result: BatchResult) => void;
}

/** Runs any number of requests through POST /$batch in groups of ≤ 20; streams results as they settle. */
export async function* batch<T = unknown>(
  send: Send,
  items: Iterable<BatchItem> | AsyncIterable<BatchItem>,
  options: BatchOptions = {},
): AsyncIterable<BatchResult<T>> {
  const run = new BatchRun(send, items, options);
  try {
    for (;;) {
      const result = await run.next();
      if (result === undefined) return;
      yield result as BatchResult<T>;
    }
  } finally {
    run.stop();
  }
}
