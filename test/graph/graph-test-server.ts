// A small real HTTP server on 127.0.0.1 for the paging and $batch tests: each test supplies the routes, the
// server implements the $batch envelope (ids, dependsOn, 424, any response order) and records what it saw.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTransport } from '../../src/graph/transport.ts';
import type { Clock, Send } from '../../src/graph/types.ts';

export interface TestRequest {
  method: string;
  /** Path and query after /v1.0, still encoded. */
  url: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: unknown;
}

export interface TestReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type Route = (request: TestRequest) => TestReply | Promise<TestReply>;

export interface BatchItemRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  dependsOn?: string[];
}

export interface TestServer {
  baseUrl: string;
  send: Send;
  /** Every request seen, in arrival order (the $batch envelope included). */
  requests: TestRequest[];
  close(): Promise<void>;
}

export async function startTestServer(route: Route, clock?: Clock): Promise<TestServer> {
  const requests: TestRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const request = await readRequest(req);
      requests.push(request);
      let reply: TestReply;
      try {
        reply = await route(request);
      } catch (error) {
        reply = { status: 500, body: { error: { code: 'TestServerBug', message: String(error) } } };
      }
      const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(text);
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const send = createTransport({
    graphEndpoint: baseUrl,
    http: { fetch: (url, init) => fetch(url, init) },
    ...(clock ? { clock } : {}),
  });
  return {
    baseUrl,
    send,
    requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function readRequest(req: IncomingMessage): Promise<TestRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers[name] = value;
  }
  return {
    method: req.method ?? 'GET',
    url: (req.url ?? '/').replace(/^\/v1\.0/, ''),
    headers,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/**
 * Implements POST /$batch over per-item handling: ≤ 20 items, unique ids, dependsOn run after their dependencies
 * (424 when one failed), responses in the order `order` chooses (reversed by default: "any order").
 */
export function batchRoute(
  handleItem: (item: BatchItemRequest) => TestReply | Promise<TestReply>,
  options: { order?: (ids: string[]) => string[]; onBatch?: (items: BatchItemRequest[]) => void } = {},
): Route {
  return async (request) => {
    if (request.method !== 'POST' || request.url !== '/$batch') {
      return { status: 400, body: { error: { code: 'BadRequest', message: `unexpected ${request.url}` } } };
    }
    const items = (request.body as { requests?: BatchItemRequest[] }).requests ?? [];
    const ids = new Set(items.map((item) => item.id));
    if (items.length === 0 || items.length > 20 || ids.size !== items.length) {
      return { status: 400, body: { error: { code: 'BadRequest', message: 'Invalid batch payload' } } };
    }
    options.onBatch?.(items);
    const outcomes = new Map<string, Promise<TestReply>>();
    const run = async (item: BatchItemRequest): Promise<TestReply> => {
      for (const dep of item.dependsOn ?? []) {
        const depOutcome = outcomes.get(dep);
        if (!depOutcome)
          return { status: 400, body: { error: { code: 'BadRequest', message: 'bad dependsOn' } } };
        const reply = await depOutcome;
        if (reply.status >= 400) {
          return { status: 424, body: { error: { code: 'FailedDependency', message: 'dependency failed' } } };
        }
      }
      return handleItem(item);
    };
    for (const item of items) outcomes.set(item.id, run(item));
    const order = options.order ?? ((list: string[]) => [...list].reverse());
    const responses = [];
    for (const id of order(items.map((item) => item.id))) {
      const reply = await outcomes.get(id)!;
      responses.push({ id, status: reply.status, headers: reply.headers ?? {}, body: reply.body });
    }
    return { status: 200, body: { responses } };
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
