// JSON batching (POST /$batch): validates the envelope like Graph does, runs the items through the same
// pipeline as top-level requests (each with its own limits and faults), honours dependsOn (a failed
// dependency gives 424), runs at most `itemConcurrency` Outlook (mailbox) items of one batch at a time
// whatever mailboxes they target (Microsoft Q&A 1660054; graph-reference.md §4), and answers in a seeded
// shuffled order because Graph promises no order.
import { GRAPH_JSON_CONTENT_TYPE } from './graph-pipeline.ts';
import { graphError, type SimRequest, type SimResponse } from './http-types.ts';
import { shuffled } from './random.ts';

export const MAX_BATCH_REQUESTS = 20;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

export interface BatchItem {
  id: string;
  method: string;
  /** Relative URL as given, e.g. "/users/x/messages?$top=1". */
  url: string;
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

export interface BatchItemResponse {
  id: string;
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export interface BatchRuntime {
  /** Runs one item through the Graph pipeline. */
  runItem(item: BatchItem): Promise<SimResponse>;
  /** The item's mailbox for Outlook items; undefined (not Outlook) runs unrestricted. */
  groupKey(item: BatchItem): string | undefined;
  /** Outlook items of one batch in flight at once, across all their mailboxes. */
  itemConcurrency: number;
  /** Told the highest number of Outlook items this batch had in flight at once. */
  recordPeak?(peak: number): void;
}

export type BatchParse = { ok: true; items: BatchItem[] } | { ok: false; message: string };

export function parseBatch(body: unknown): BatchParse {
  const requests = (body as { requests?: unknown } | null)?.requests;
  if (typeof body !== 'object' || body === null || !Array.isArray(requests)) {
    return { ok: false, message: 'Invalid batch payload format.' };
  }
  if (requests.length === 0) return { ok: false, message: 'Invalid batch payload format: no requests.' };
  if (requests.length > MAX_BATCH_REQUESTS) {
    return { ok: false, message: `Limit of ${MAX_BATCH_REQUESTS} requests per batch exceeded.` };
  }
  const items: BatchItem[] = [];
  const ids = new Set<string>();
  for (const raw of requests) {
    const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const id = typeof r.id === 'number' ? String(r.id) : r.id;
    if (typeof id !== 'string' || id === '') return { ok: false, message: 'Batch request is missing an id.' };
    if (typeof r.method !== 'string' || !METHODS.has(r.method.toUpperCase())) {
      return { ok: false, message: `Batch request '${id}' has a missing or invalid method.` };
    }
    if (typeof r.url !== 'string' || r.url === '') {
      return { ok: false, message: `Batch request '${id}' is missing a url.` };
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(r.url) || r.url.startsWith('//')) {
      return { ok: false, message: `Invalid request URL '${r.url}': batch request URLs must be relative.` };
    }
    if (ids.has(id)) return { ok: false, message: `Batch request contains a duplicate id '${id}'.` };
    ids.add(id);
    const dependsOn = r.dependsOn === undefined ? [] : r.dependsOn;
    if (!Array.isArray(dependsOn) || !dependsOn.every((d) => typeof d === 'string')) {
      return { ok: false, message: `Batch request '${id}' has an invalid dependsOn.` };
    }
    items.push({
      id,
      method: r.method.toUpperCase(),
      url: r.url,
      headers: stringHeaders(r.headers),
      body: r.body,
      dependsOn: dependsOn as string[],
    });
  }
  for (const item of items) {
    for (const dep of item.dependsOn) {
      if (!ids.has(dep) || dep === item.id) {
        return { ok: false, message: `Batch request '${item.id}' depends on unknown request '${dep}'.` };
      }
    }
  }
  if (hasCycle(items)) return { ok: false, message: 'Batch requests have circular dependencies.' };
  return { ok: true, items };
}

export async function executeBatch(req: SimRequest, runtime: BatchRuntime): Promise<SimResponse> {
  if (req.method !== 'POST') return graphError(req, 405, 'BadRequest', 'Only POST is supported on $batch.');
  const parsed = parseBatch(req.body);
  if (!parsed.ok) return graphError(req, 400, 'BadRequest', parsed.message);

  // One pool for the whole batch: the 4-item bound is per batch, not per mailbox.
  const outlook = new Semaphore(runtime.itemConcurrency);
  let inFlight = 0;
  let peak = 0;
  const results = new Map<string, Promise<BatchItemResponse>>();
  const byId = new Map(parsed.items.map((item) => [item.id, item]));
  const run = (item: BatchItem): Promise<BatchItemResponse> => {
    const existing = results.get(item.id);
    if (existing) return existing;
    const promise = (async () => {
      const deps = await Promise.all(item.dependsOn.map((d) => run(byId.get(d)!)));
      if (deps.some((d) => d.status < 200 || d.status >= 300)) {
        const failed = graphError(req, 424, 'FailedDependency', 'A request this request depends on failed.', {
          'Content-Type': GRAPH_JSON_CONTENT_TYPE,
        });
        return toItemResponse(item.id, failed);
      }
      const semaphore = runtime.groupKey(item) === undefined ? undefined : outlook;
      await semaphore?.acquire();
      if (semaphore) peak = Math.max(peak, ++inFlight);
      try {
        return toItemResponse(item.id, await runtime.runItem(item));
      } finally {
        if (semaphore) inFlight--;
        semaphore?.release();
      }
    })();
    results.set(item.id, promise);
    return promise;
  };
  const responses = await Promise.all(parsed.items.map(run));
  runtime.recordPeak?.(peak);
  return { status: 200, body: { responses: shuffled(responses, req.random) } };
}

function toItemResponse(id: string, response: SimResponse): BatchItemResponse {
  return {
    id,
    status: response.status,
    headers: response.headers ?? {},
    ...(response.body !== undefined ? { body: response.body } : {}),
  };
}

function stringHeaders(raw: unknown): Record<string, string> {
  if (typeof raw !== 'object' || raw === null) return {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string' || typeof value === 'number') headers[name.toLowerCase()] = String(value);
  }
  return headers;
}

function hasCycle(items: BatchItem[]): boolean {
  const deps = new Map(items.map((i) => [i.id, i.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): boolean => {
    const s = state.get(id);
    if (s === 'done') return false;
    if (s === 'visiting') return true;
    state.set(id, 'visiting');
    const cyclic = (deps.get(id) ?? []).some(visit);
    state.set(id, 'done');
    return cyclic;
  };
  return items.some((i) => visit(i.id));
}

class Semaphore {
  #available: number;
  readonly #waiting: (() => void)[] = [];

  constructor(slots: number) {
    this.#available = slots;
  }

  async acquire(): Promise<void> {
    if (this.#available > 0) {
      this.#available--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#available++;
  }
}
