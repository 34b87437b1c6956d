// Pure pieces of the Elasticsearch sink: credentials as headers, bulk chunking, reading cluster info.

import { registerSecret } from '../graph/redact.ts';
import type { SinkEvent } from './types.ts';

export type ElasticsearchAuth =
  | { kind: 'apiKey'; apiKey: string }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'none' };

export interface BulkItem {
  status?: number;
  error?: { type?: string; reason?: string };
}

export interface Line {
  event: SinkEvent;
  text: string;
}

/** The Authorization header for the configured credentials (none without). */
export function authorizationHeaders(auth: ElasticsearchAuth | undefined): Record<string, string> {
  if (auth?.kind === 'apiKey') return { authorization: `ApiKey ${auth.apiKey}` };
  if (auth?.kind === 'basic')
    return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };
  return {};
}

export function registerAuthSecrets(auth: ElasticsearchAuth | undefined): void {
  if (auth?.kind === 'apiKey') registerSecret(auth.apiKey);
  if (auth?.kind === 'basic') {
    registerSecret(auth.password);
    registerSecret(Buffer.from(`${auth.username}:${auth.password}`).toString('base64'));
  }
}

export function chunkBySize(lines: Line[], maxBytes: number): Line[][] {
  const chunks: Line[][] = [];
  let chunk: Line[] = [];
  let size = 0;
  for (const line of lines) {
    const cost = Buffer.byteLength(line.text);
    if (chunk.length > 0 && size + cost > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(line);
    size += cost;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

export function describeCluster(body: string): string {
  try {
    const info = JSON.parse(body) as {
      cluster_name?: string;
      version?: { number?: string; distribution?: string };
    };
    const product = info.version?.distribution === 'opensearch' ? 'OpenSearch' : 'Elasticsearch';
    return `${product} ${info.version?.number ?? '?'} cluster ${info.cluster_name ?? '?'}`;
  } catch {
    return 'cluster answered';
  }
}

/**
 * Why Elasticsearch would refuse `name` as an index or data stream name, or undefined when it is valid. The rules
 * of the create-index API ("Index name limitations"): lowercase only; none of \ / * ? " < > | space , # :; not
 * starting with - _ +; not . or ..; at most 255 bytes. Refused at configuration time because the cluster refuses
 * every document of such a name one by one (400 invalid_index_name_exception).
 */
export function indexNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name !== name.toLowerCase()) return 'must be lowercase';
  const forbidden = [...'\\/*?"<>| ,#:'].find((c) => name.includes(c));
  if (forbidden !== undefined) return `must not contain ${JSON.stringify(forbidden)}`;
  if (/^[-_+]/.test(name)) return 'must not start with -, _ or +';
  if (name === '.' || name === '..') return 'must not be . or ..';
  if (Buffer.byteLength(name) > 255) return 'must be at most 255 bytes';
  return undefined;
}
