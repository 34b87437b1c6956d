// Splunk HTTP Event Collector: /services/collector/event (concatenated JSON envelopes), /services/collector/ack
// (indexer acknowledgement per channel) and /services/collector/health, with HEC's status codes.
import { json, ProtocolServer, type RecordedRequest, type Reply, type ServerTls } from './base.ts';

export interface SplunkServerOptions {
  token: string;
  /** Indexer acknowledgement enabled on the token. */
  useAck?: boolean;
  /** Indexes the token may write to (default: any). */
  allowedIndexes?: string[];
  tls?: ServerTls;
}

export interface SplunkServer {
  server: ProtocolServer;
  /** Envelopes indexed so far (with ack on: only those whose ack was confirmed by the indexers). */
  indexed: Record<string, unknown>[];
  /** Acks are confirmed after this many polls (default 1: the first poll sees them); Infinity = indexers stuck. */
  confirmAfterPolls: number;
  /** When true, /services/collector/health answers 503 (queues full). */
  unhealthy: boolean;
  /** Channels seen on event requests. */
  channels: Set<string>;
  url: string;
}

interface Pending {
  envelopes: Record<string, unknown>[];
  polls: number;
}

export async function startSplunkServer(options: SplunkServerOptions): Promise<SplunkServer> {
  const pendingByChannel = new Map<string, Map<number, Pending>>();
  let nextAckId = 0;
  const state: Omit<SplunkServer, 'server' | 'url'> = {
    indexed: [],
    confirmAfterPolls: 1,
    unhealthy: false,
    channels: new Set(),
  };

  const authorize = (request: RecordedRequest): Reply | undefined => {
    const auth = request.headers.authorization;
    if (!auth) return json(401, { text: 'Token is required', code: 2 });
    if (!auth.startsWith('Splunk ')) return json(401, { text: 'Invalid authorization', code: 3 });
    if (auth.slice(7) !== options.token) return json(403, { text: 'Invalid token', code: 4 });
    return undefined;
  };

  const channelOf = (request: RecordedRequest): string | undefined => {
    const header = request.headers['x-splunk-request-channel'];
    return typeof header === 'string' ? header : undefined;
  };

  const event = (request: RecordedRequest): Reply => {
    const denied = authorize(request);
    if (denied) return denied;
    if (request.body.trim() === '') return json(400, { text: 'No data', code: 5 });
    const channel = channelOf(request);
    if (options.useAck && !channel) return json(400, { text: 'Data channel is missing', code: 10 });
    const parts = splitConcatenatedJson(request.body);
    const envelopes: Record<string, unknown>[] = [];
    for (const [i, part] of parts.entries()) {
      let value: unknown;
      try {
        value = JSON.parse(part);
      } catch {
        return json(400, { text: 'Invalid data format', code: 6, 'invalid-event-number': i });
      }
      const envelope = value as Record<string, unknown>;
      if (typeof envelope !== 'object' || envelope === null || !('event' in envelope))
        return json(400, { text: 'Event field is required', code: 12, 'invalid-event-number': i });
      if (envelope.event === '' || envelope.event === null)
        return json(400, { text: 'Event field cannot be blank', code: 13, 'invalid-event-number': i });
      const index = envelope.index;
      if (options.allowedIndexes && typeof index === 'string' && !options.allowedIndexes.includes(index))
        return json(400, { text: 'Incorrect index', code: 7, 'invalid-event-number': i });
      envelopes.push(envelope);
    }
    if (channel) state.channels.add(channel);
    if (!options.useAck) {
      state.indexed.push(...envelopes);
      return json(200, { text: 'Success', code: 0 });
    }
    const ackId = nextAckId++;
    const pending = pendingByChannel.get(channel ?? '') ?? new Map<number, Pending>();
    pendingByChannel.set(channel ?? '', pending);
    pending.set(ackId, { envelopes, polls: 0 });
    return json(200, { text: 'Success', code: 0, ackId });
  };

  const ack = (request: RecordedRequest): Reply => {
    const denied = authorize(request);
    if (denied) return denied;
    if (!options.useAck) return json(400, { text: 'ACK is disabled', code: 14 });
    const channel = channelOf(request);
    if (!channel) return json(400, { text: 'Data channel is missing', code: 10 });
    const pending = pendingByChannel.get(channel);
    const ids = (JSON.parse(request.body) as { acks: number[] }).acks;
    const acks: Record<string, boolean> = {};
    for (const id of ids) {
      const p = pending?.get(id);
      if (!p) {
        acks[id] = false;
        continue;
      }
      p.polls++;
      if (p.polls >= state.confirmAfterPolls) {
        state.indexed.push(...p.envelopes);
        pending?.delete(id);
        acks[id] = true;
      } else acks[id] = false;
    }
    return json(200, { acks });
  };

  const handle = (request: RecordedRequest): Reply => {
    const path = request.path.split('?')[0];
    if (path === '/services/collector/health') {
      return state.unhealthy
        ? json(503, { text: 'HEC is unhealthy, queues are full', code: 18 })
        : json(200, { text: 'HEC is healthy', code: 17 });
    }
    if (request.method !== 'POST') return json(404, { text: 'The requested URL was not found', code: 404 });
    if (path === '/services/collector/event') return event(request);
    if (path === '/services/collector/ack') return ack(request);
    return json(404, { text: 'The requested URL was not found', code: 404 });
  };

  const server = await new ProtocolServer(handle, options.tls).start();
  const result = state as SplunkServer;
  result.server = server;
  result.url = server.url;
  return result;
}

/** Splits `{…}{…}\n{…}` into its top-level JSON texts; a malformed tail comes back as one part. */
export function splitConcatenatedJson(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) {
        parts.push(body.slice(start, i + 1));
        start = -1;
      }
    } else if (depth === 0 && c !== undefined && !/\s/.test(c)) {
      parts.push(body.slice(i));
      return parts;
    }
  }
  if (depth !== 0 && start >= 0) parts.push(body.slice(start));
  return parts;
}
