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
