// Elasticsearch's _bulk (NDJSON, per-item results inside a 200), GET / (cluster info), _cluster/health and
// PUT _index_template. Documents are checked against the installed template's ip/long/date fields, so a
// mapping error is a real 400 item; `create` on an existing _id is a real 409.
import { isIP } from 'node:net';
import { json, ProtocolServer, type RecordedRequest, type Reply, type ServerTls } from './base.ts';

export type EsAuth = { apiKey: string } | { username: string; password: string } | undefined;

export interface ElasticsearchServerOptions {
  auth?: EsAuth;
  tls?: ServerTls;
  /** Answer GET / with 403 (a least-privilege key). */
  clusterInfoForbidden?: boolean;
}

export interface ItemFault {
  status: number;
  type: string;
  reason?: string;
}

export interface ElasticsearchServer {
  server: ProtocolServer;
  /** Stored documents by index, then _id. */
  indices: Map<string, Map<string, unknown>>;
  templates: Map<string, Record<string, unknown>>;
  /** Ingest pipelines by id (PUT/GET _ingest/pipeline/{id}); a bulk naming another one fails every item. */
  pipelines: Map<string, Record<string, unknown>>;
  /** Per _id, faults consumed one per bulk item occurrence (e.g. three 429s then success). */
  itemFaults: Map<string, ItemFault[]>;
  url: string;
  /** Every document stored, all indices. */
  count(): number;
}

export async function startElasticsearchServer(
  options: ElasticsearchServerOptions = {},
): Promise<ElasticsearchServer> {
  const indices = new Map<string, Map<string, unknown>>();
  const templates = new Map<string, Record<string, unknown>>();
  const itemFaults = new Map<string, ItemFault[]>();
  const pipelines = new Map<string, Record<string, unknown>>();

  const authorized = (request: RecordedRequest): boolean => {
    const auth = options.auth;
    if (!auth) return true;
    const header = request.headers.authorization ?? '';
    if ('apiKey' in auth) return header === `ApiKey ${auth.apiKey}`;
    return header === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  };

  const bulk = (request: RecordedRequest): Reply => {
    if (!request.body.endsWith('\n'))
      return json(400, {
        error: {
          type: 'illegal_argument_exception',
          reason: 'The bulk request must be terminated by a newline [\\n]',
        },
        status: 400,
      });
    const pipeline = new URLSearchParams(request.path.split('?')[1] ?? '').get('pipeline');
    const lines = request.body.split('\n').filter((l) => l !== '');
    const items: Record<string, unknown>[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i] ?? '{}') as { create?: { _index: string; _id: string } };
      const doc = JSON.parse(lines[i + 1] ?? '{}') as Record<string, unknown>;
      if (!action.create) return json(400, { error: { type: 'action_request_validation_exception' } });
      const { _index, _id } = action.create;
      const result = (status: number, error?: { type: string; reason: string }) =>
        items.push({
          create: { _index, _id, status, ...(error ? { error } : { result: 'created', _version: 1 }) },
        });
      const fault = itemFaults.get(_id)?.shift();
      if (fault) {
        result(fault.status, { type: fault.type, reason: fault.reason ?? fault.type });
        continue;
      }
      // Both refusals are per item inside a 200, as Elasticsearch answers them (the request itself is valid).
      if (pipeline !== null && !pipelines.has(pipeline)) {
        result(400, { type: 'illegal_argument_exception', reason: `pipeline with id [${pipeline}] does not exist` });
        continue;
      }
      if (_index !== _index.toLowerCase()) {
        result(400, { type: 'invalid_index_name_exception', reason: `Invalid index name [${_index}], must be lowercase` });
        continue;
      }
      const index = indices.get(_index) ?? new Map<string, unknown>();
      indices.set(_index, index);
      if (index.has(_id)) {
        result(409, {
          type: 'version_conflict_engine_exception',
          reason: `[${_id}]: version conflict, document already exists (current version [1])`,
        });
        continue;
      }
      const problem = mappingProblem(doc, fieldTypesFor(_index));
      if (problem) {
        result(400, { type: 'document_parsing_exception', reason: problem });
        continue;
      }
      index.set(_id, doc);
      result(201);
    }
    return json(200, {
      took: 3,
      errors: items.some((i) => (i.create as { status: number }).status > 299),
      items,
    });
  };

  const fieldTypesFor = (index: string): Map<string, string> => {
    const types = new Map<string, string>();
    for (const template of templates.values()) {
      const patterns = template.index_patterns as string[];
      if (!patterns.some((p) => new RegExp(`^${p.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`).test(index)))
        continue;
      const props = (template.template as { mappings: { properties: Record<string, unknown> } }).mappings
        .properties;
      collectTypes(props, '', types);
    }
    return types;
  };

  const handle = (request: RecordedRequest): Reply => {
    if (!authorized(request))
      return json(401, {
        error: { type: 'security_exception', reason: 'unable to authenticate request' },
        status: 401,
      });
    const path = request.path.split('?')[0] ?? '';
    if (request.method === 'GET' && path === '/') {
      if (options.clusterInfoForbidden)
        return json(403, {
          error: { type: 'security_exception', reason: 'action [cluster:monitor/main] is unauthorized' },
        });
      return json(200, {
        name: 'node-1',
        cluster_name: 'test-cluster',
        version: { number: '8.17.0', build_flavor: 'default' },
        tagline: 'You Know, for Search',
      });
    }
    if (request.method === 'GET' && path === '/_cluster/health')
      return json(200, { cluster_name: 'test-cluster', status: 'green' });
    if (request.method === 'POST' && path === '/_bulk') return bulk(request);
    const pipelineId = /^\/_ingest\/pipeline\/([^/]+)$/.exec(path)?.[1];
    if (pipelineId !== undefined) {
      const id = decodeURIComponent(pipelineId);
      if (request.method === 'PUT') {
        pipelines.set(id, JSON.parse(request.body) as Record<string, unknown>);
        return json(200, { acknowledged: true });
      }
      const found = pipelines.get(id);
      if (request.method === 'GET') return found ? json(200, { [id]: found }) : json(404, {});
    }
    const template = /^\/_index_template\/([^/]+)$/.exec(path);
    if (request.method === 'PUT' && template?.[1]) {
      templates.set(decodeURIComponent(template[1]), JSON.parse(request.body) as Record<string, unknown>);
      return json(200, { acknowledged: true });
    }
    return json(404, {
      error: { type: 'no_handler_found', reason: `no handler for ${request.method} ${path}` },
    });
  };

  const server = await new ProtocolServer(handle, options.tls).start();
  return {
    server,
    indices,
    templates,
    pipelines,
    itemFaults,
    url: server.url,
    count: () => [...indices.values()].reduce((n, index) => n + index.size, 0),
  };
}

function collectTypes(props: Record<string, unknown>, prefix: string, out: Map<string, string>): void {
  for (const [name, spec] of Object.entries(props)) {
    const s = spec as { type?: string; properties?: Record<string, unknown> };
    if (s.properties) collectTypes(s.properties, `${prefix}${name}.`, out);
    else if (s.type) out.set(prefix + name, s.type);
  }
}

function mappingProblem(doc: Record<string, unknown>, types: Map<string, string>): string | undefined {
  for (const [path, type] of types) {
    let value: unknown = doc;
    for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      const bad =
        (type === 'ip' && (typeof v !== 'string' || isIP(v) === 0)) ||
        (type === 'long' && !Number.isInteger(v)) ||
        (type === 'date' && (typeof v !== 'string' || Number.isNaN(Date.parse(v))));
      if (bad) return `[1:2] failed to parse field [${path}] of type [${type}] in document`;
    }
  }
  return undefined;
}
