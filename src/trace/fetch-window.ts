// Reads one time window of message traces, every page of it, surviving Graph's broken skiptokens.
// Rows come newest first, so the pages already read cover [oldest row read, window end]: when a nextLink fails
// with 400 (a broken skiptoken) or the window has more pages than allowed, the rest, [window start, oldest row
// read], is re-read split in two by time, recursively. Every step reads a strictly shorter range, so this ends
// (never a loop); a range is only ever replaced by halves that cover it exactly (never a skip). Rows read twice
// are harmless: the store reports each (row, status) once. Graph's own skiptoken resumes from the last row's time,
// i.e. it relies on that order too; should a page ever arrive out of order, the whole range is re-read in halves
// instead, since the rows not yet read could then be anywhere in it.

import { GraphError } from '../graph/errors.ts';
import { buildQuery } from '../graph/odata.ts';
import { pages } from '../graph/paging.ts';
import type { GraphRequest, Send } from '../graph/types.ts';
import { parseUtcMs } from './model.ts';
import { SECOND_MS, splitWindow, type TimeWindow, windowFilter } from './windows.ts';

export const MESSAGE_TRACES_PATH = '/admin/exchange/tracing/messageTraces';
export const DEFAULT_PAGE_SIZE = 5000;
export const DEFAULT_MAX_PAGES_PER_WINDOW = 20;
/** A one-second range cannot be split; a broken skiptoken there is retried this many times in all. */
const SINGLE_SECOND_ATTEMPTS = 3;
/**
 * `recalled` is an evolvable enum member: without this opt-in Graph reports recalled rows as unknownFutureValue.
 * Every message-trace request sends it (paging carries it to the nextLinks).
 */
export const MESSAGE_TRACE_HEADERS: Readonly<Record<string, string>> = {
  Prefer: 'include-unknown-enum-members',
};

export interface ReadWindowOptions {
  send: Send;
  /** $top: 1..5000. */
  pageSize?: number;
  /** A window needing more pages than this is split (a one-second window never is). */
  maxPagesPerWindow?: number;
  signal?: AbortSignal;
  /** Called with every page's raw items, in order; rows are processed (and acknowledged) before the next page. */
  onPage: (items: unknown[]) => Promise<void>;
  /** Called before every request (for quota accounting). */
  onRequest?: () => void;
}

export interface ReadWindowStats {
  requests: number;
  pages: number;
  rows: number;
  brokenSkiptokens: number;
  splits: number;
}

/** The whole window, or a WindowReadError / GraphError when part of it could not be read. */
export class WindowReadError extends Error {
  override readonly name = 'WindowReadError';
  readonly window: TimeWindow;
  constructor(message: string, window: TimeWindow, options?: { cause?: unknown }) {
    super(message, options);
    this.window = window;
  }
}

export function messageTraceRequest(
  window: TimeWindow,
  pageSize: number,
  signal?: AbortSignal,
): GraphRequest {
  return {
    method: 'GET',
    url: MESSAGE_TRACES_PATH + buildQuery({ $filter: windowFilter(window), $top: pageSize }),
    headers: { ...MESSAGE_TRACE_HEADERS },
    quota: { bucket: 'messageTrace', priority: 'low' },
    ...(signal ? { signal } : {}),
  };
}

export async function readWindow(window: TimeWindow, options: ReadWindowOptions): Promise<ReadWindowStats> {
  const stats: ReadWindowStats = { requests: 0, pages: 0, rows: 0, brokenSkiptokens: 0, splits: 0 };
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const maxPages = options.maxPagesPerWindow ?? DEFAULT_MAX_PAGES_PER_WINDOW;
  const send: Send = (request) => {
    stats.requests++;
    options.onRequest?.();
    return options.send(request);
  };

  const readRange = async (range: TimeWindow, attempt: number): Promise<void> => {
    let pagesRead = 0;
    let oldestMs: number | undefined;
    let ordered = true;
    let reason: 'brokenSkiptoken' | 'tooManyPages' | undefined;
    let failure: unknown;
    const splittable = range.end > range.start;
    try {
      for await (const page of pages<unknown>(send, messageTraceRequest(range, pageSize, options.signal))) {
        pagesRead++;
        stats.pages++;
        stats.rows += page.items.length;
        await options.onPage(page.items);
        const scan = scanOrder(page.items, oldestMs);
        oldestMs = scan.oldestMs;
        ordered &&= scan.ordered;
        if (page.nextLink !== undefined && splittable && pagesRead >= maxPages) {
          reason = 'tooManyPages';
          break;
        }
      }
    } catch (error) {
      // Only a failing nextLink is a broken skiptoken; a 400 on the first request is a query Graph refuses.
      if (!(error instanceof GraphError && error.status === 400 && pagesRead > 0)) throw error;
      stats.brokenSkiptokens++;
      reason = 'brokenSkiptoken';
      failure = error;
    }
    if (reason === undefined) return;

    const rest: TimeWindow = {
      start: range.start,
      end:
        oldestMs === undefined || !ordered
          ? range.end
          : Math.min(range.end, Math.floor(oldestMs / SECOND_MS) * SECOND_MS),
    };
    const halves = rest.end >= rest.start ? splitWindow(rest) : null;
    if (halves) {
      stats.splits++;
      // Newest half first, as Graph orders rows: progress then moves steadily back in time.
      await readRange(halves[1], 1);
      await readRange(halves[0], 1);
      return;
    }
    if (attempt >= SINGLE_SECOND_ATTEMPTS) {
      throw new WindowReadError(
        `message trace paging failed ${attempt} times for the one-second window ${windowFilter(rest)}: ` +
          'Graph keeps answering 400 to its own nextLink; the window will be read again next cycle',
        rest,
        { cause: failure },
      );
    }
    await readRange(rest, attempt + 1);
  };

  await readRange(window, 1);
  return stats;
}

/** The oldest receivedDateTime so far, and whether these rows continued the newest-first order. */
function scanOrder(
  items: readonly unknown[],
  previousOldest: number | undefined,
): { oldestMs: number | undefined; ordered: boolean } {
  let oldest = previousOldest;
  let ordered = true;
  for (const item of items) {
    const value = (item as { receivedDateTime?: unknown } | null)?.receivedDateTime;
    const ms = typeof value === 'string' ? parseUtcMs(value) : undefined;
    if (ms === undefined) continue;
    if (oldest !== undefined && ms > oldest) ordered = false;
    if (oldest === undefined || ms < oldest) oldest = ms;
  }
  return { oldestMs: oldest, ordered };
}
