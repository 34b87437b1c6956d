// Ad-hoc message-trace search over Graph (`mailtrace trace`): the same windows as the collector (at most 10 days,
// inside the 90-day horizon, newest first as Graph orders rows), each with the user's criteria added to the
// `$filter`, stopping once `limit` rows are in. Values are quoted as OData literals and the whole query is
// percent-encoded (a raw '+' in a message id would silently match nothing).

import { buildQuery, eqFilter, quoteODataString } from '../graph/odata.ts';
import { pages } from '../graph/paging.ts';
import type { QuotaPriority, Send } from '../graph/types.ts';
import { MESSAGE_TRACE_HEADERS, MESSAGE_TRACES_PATH } from './fetch-window.ts';
import { parseTraceRow, type TraceRow } from './model.ts';
import { planWindows, type TimeWindow, windowFilter } from './windows.ts';

export interface TraceCriteria {
  /** Canonical `<…>` form (parseMessageId). */
  messageId?: string;
  senderAddress?: string;
  recipientAddress?: string;
  /** Canonical camelCase Graph status. */
  status?: string;
  /** Substring of the subject (Graph `contains`). */
  subjectContains?: string;
}

export interface SearchOptions {
  send: Send;
  from: number;
  until: number;
  now: number;
  limit: number;
  priority?: QuotaPriority;
  signal?: AbortSignal;
}

export interface SearchResult {
  rows: TraceRow[];
  /** True when `limit` stopped the search before every window was read. */
  truncated: boolean;
  requests: number;
  /** Rows Graph sent that were not message traces (counted, not shown). */
  invalid: number;
}

/** The `$filter` of one window with the criteria; pure. */
export function searchFilter(window: TimeWindow, criteria: TraceCriteria): string {
  const clauses = [windowFilter(window)];
  if (criteria.messageId !== undefined) clauses.push(eqFilter('messageId', criteria.messageId));
  if (criteria.senderAddress !== undefined) clauses.push(eqFilter('senderAddress', criteria.senderAddress));
  if (criteria.recipientAddress !== undefined)
    clauses.push(eqFilter('recipientAddress', criteria.recipientAddress));
  if (criteria.status !== undefined) clauses.push(eqFilter('status', criteria.status));
  if (criteria.subjectContains !== undefined)
    clauses.push(`contains(subject, ${quoteODataString(criteria.subjectContains)})`);
  return clauses.join(' and ');
}

/** Throws WindowError (code 'beyond_horizon', 'future', 'inverted') for a range Graph cannot serve. */
export async function searchTraces(criteria: TraceCriteria, options: SearchOptions): Promise<SearchResult> {
  const windows = planWindows({
    from: options.from,
    until: options.until,
    now: options.now,
    order: 'newest-first',
  });
  const result: SearchResult = { rows: [], truncated: false, requests: 0, invalid: 0 };
  const pageSize = Math.min(5000, Math.max(1, options.limit));
  for (const [index, window] of windows.entries()) {
    const url = MESSAGE_TRACES_PATH + buildQuery({ $filter: searchFilter(window, criteria), $top: pageSize });
    for await (const page of pages<unknown>(options.send, {
      method: 'GET',
      url,
      headers: { ...MESSAGE_TRACE_HEADERS },
      quota: { bucket: 'messageTrace', priority: options.priority ?? 'normal' },
      ...(options.signal ? { signal: options.signal } : {}),
    })) {
      result.requests++;
      for (const item of page.items) {
        try {
          result.rows.push(parseTraceRow(item));
        } catch {
          result.invalid++;
        }
      }
      if (result.rows.length >= options.limit) {
        result.truncated =
          page.nextLink !== undefined || index < windows.length - 1 || result.rows.length > options.limit;
        result.rows.length = Math.min(result.rows.length, options.limit);
        return result;
      }
    }
  }
  return result;
}
