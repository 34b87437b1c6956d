// A real HTTP(S) server on 127.0.0.1 for sink tests, with the faults the sinks must survive: scripted answers
// (429 storms, 503s), slow answers, connection resets, and going down (port closed) then coming back.
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Fault =
  | { status: number; body?: string; headers?: Record<string, string> }
  | { delayMs: number }
  | { reset: true };

export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

export interface ServerTls {
  key: string;
  cert: string;
}

export class ProtocolServer {
  readonly requests: RecordedRequest[] = [];
  /** Consumed one per request, before the protocol handler; a delay fault then lets the handler answer. */
  readonly faults: Fault[] = [];
  readonly #handler: Handler;
  readonly #server: ReturnType<typeof createHttpServer>;
  readonly #sockets = new Set<Socket>();
  readonly #tls: boolean;
  #port = 0;

  constructor(handler: Handler, tls?: ServerTls) {
    this.#handler = handler;
    this.#tls = tls !== undefined;
    const listener = (req: IncomingMessage, res: ServerResponse) => void this.#serve(req, res);
    this.#server = tls ? createHttpsServer(tls, listener) : createHttpServer(listener);
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#server.on('secureConnection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#server.on('tlsClientError', () => {});
  }

  get url(): string {
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<this> {
    this.#server.listen(this.#port, '127.0.0.1');
    await once(this.#server, 'listening');
    this.#port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the port and every open connection: clients get ECONNREFUSED until `up()`. */
  async down(): Promise<void> {
    const closed = new Promise((resolve) => this.#server.close(resolve));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.#server.listening) await this.down();
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    this.requests.push(request);
    const fault = this.faults.shift();
    if (fault && 'reset' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault && 'delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (res.destroyed) return;
    const reply: Reply =
      fault && 'status' in fault
        ? {
            status: fault.status,
            body: fault.body ?? '',
            ...(fault.headers ? { headers: fault.headers } : {}),
          }
        : await this.#handler(request);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body);
  }
}

export function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(value), ...(headers ? { headers } : {}) };
}

/** Fast retries for tests: a few milliseconds of backoff instead of seconds. */
export const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 2, maxBackoffMs: 10, maxRetryAfterMs: 5_000 };
