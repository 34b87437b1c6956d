// The Sekoia.io HTTPS intake's /batch endpoint: {"intake_key", "jsons": [strings]} -> {"event_ids": [...]}.
// Rejects an unknown intake key (401), a request over the size limit (413) and a malformed body (400).
import { randomUUID } from 'node:crypto';
import { json, ProtocolServer, type RecordedRequest, type Reply, type ServerTls } from './base.ts';

export interface SekoiaServerOptions {
  intakeKey: string;
  /** Requests larger than this get 413 (default 9 MiB). */
  maxRequestBytes?: number;
  /** Path prefix of regional intakes, e.g. /api/v1/intake-http. */
  prefix?: string;
  tls?: ServerTls;
}

export interface SekoiaServer {
  server: ProtocolServer;
  /** Every accepted event, parsed from its JSON string. */
  events: unknown[];
  url: string;
}

export async function startSekoiaServer(options: SekoiaServerOptions): Promise<SekoiaServer> {
  const events: unknown[] = [];
  const maxRequestBytes = options.maxRequestBytes ?? 9 * 1024 * 1024;
  const prefix = options.prefix ?? '';
  const handle = (request: RecordedRequest): Reply => {
    if (request.method !== 'POST' || request.path !== `${prefix}/batch`)
      return json(404, { message: 'Not Found' });
    if (Buffer.byteLength(request.body) > maxRequestBytes) return json(413, { message: 'Payload Too Large' });
    let body: { intake_key?: unknown; jsons?: unknown };
    try {
      body = JSON.parse(request.body) as typeof body;
    } catch {
      return json(400, { message: 'Invalid JSON' });
    }
    if (body.intake_key !== options.intakeKey) return json(401, { message: 'Invalid intake key' });
    if (!Array.isArray(body.jsons) || !body.jsons.every((j) => typeof j === 'string'))
      return json(400, { message: 'jsons must be an array of strings' });
    const parsed: unknown[] = [];
    for (const text of body.jsons as string[]) {
      try {
        parsed.push(JSON.parse(text));
      } catch {
        return json(400, { message: 'an event is not valid JSON' });
      }
    }
    events.push(...parsed);
    return json(200, { event_ids: parsed.map(() => randomUUID()) });
  };
  const server = await new ProtocolServer(handle, options.tls).start();
  return { server, events, url: server.url + prefix };
}
