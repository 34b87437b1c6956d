// The Elasticsearch / OpenSearch index template for mailtrace's ECS documents, built from the field table in
// trace/ecs-fields.ts so that the mapping and the documents can never disagree. Pure: no I/O.
//
// Dynamic mapping is turned off for the documents' own fields ("dynamic": false): a field not in ECS_FIELDS is
// kept in _source but not indexed, rather than guessed (Graph's '' in fromIP would make a dynamic "ip" impossible,
// a guessed "text" subject would cost twice the space).

import { ECS_FIELDS, ECS_VERSION, type EcsFieldType } from '../trace/ecs-fields.ts';

export const DEFAULT_INDEX = 'logs-microsoft.message_trace-default';

export type SearchFlavor = 'elasticsearch' | 'opensearch';

export interface IndexTemplateOptions {
  /** The data stream or index the sink writes to. */
  index?: string | undefined;
  /** Override of the template's index pattern (default: derived from the index, see indexPatternFor). */
  indexPattern?: string | undefined;
  /** Default: a data stream when the index has the `type-dataset-namespace` shape. */
  dataStream?: boolean | undefined;
  /** OpenSearch has no match_only_text nor constant_keyword: they become text and keyword. */
  flavor?: SearchFlavor | undefined;
  /** Default 'mailtrace-message-trace'. */
  name?: string | undefined;
  /** Higher than the built-in logs-*-* template (100) so ours wins for its pattern. Default 200. */
  priority?: number | undefined;
}

export interface IndexTemplate {
  name: string;
  body: {
    index_patterns: string[];
    priority: number;
    data_stream?: Record<string, never>;
    template: { settings: Record<string, unknown>; mappings: Record<string, unknown> };
    _meta: Record<string, unknown>;
  };
}

const DATA_STREAM_NAME = /^(logs|metrics|traces|synthetics)-[^-]+-[^-]+$/;

export function isDataStreamName(index: string): boolean {
  return DATA_STREAM_NAME.test(index);
}

/**
 * logs-microsoft.message_trace-default -> logs-microsoft.message_trace-* (every namespace); a plain index -> itself.
 */
export function indexPatternFor(index: string): string {
  return isDataStreamName(index) ? index.replace(/-[^-]+$/, '-*') : index;
}

export function buildIndexTemplate(options: IndexTemplateOptions = {}): IndexTemplate {
  const index = options.index ?? DEFAULT_INDEX;
  const dataStream = options.dataStream ?? isDataStreamName(index);
  const flavor = options.flavor ?? 'elasticsearch';
  return {
    name: options.name ?? 'mailtrace-message-trace',
    body: {
      index_patterns: [options.indexPattern ?? indexPatternFor(index)],
      priority: options.priority ?? 200,
      ...(dataStream ? { data_stream: {} } : {}),
      template: {
        settings: { 'index.mapping.total_fields.limit': 1000 },
        mappings: { dynamic: false, properties: ecsProperties(flavor) },
      },
      _meta: { managed_by: 'mailtrace', ecs_version: ECS_VERSION },
    },
  };
}

/** ECS_FIELDS as nested mapping properties: 'email.from.address' -> email.properties.from.properties.address. */
export function ecsProperties(flavor: SearchFlavor = 'elasticsearch'): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, spec] of Object.entries(ECS_FIELDS)) {
    const parts = path.split('.');
    let level = root;
    for (const part of parts.slice(0, -1)) {
      const existing = level[part] as { properties: Record<string, unknown> } | undefined;
      const node = existing ?? { properties: {} };
      level[part] = node;
      level = node.properties;
    }
    const leaf = parts[parts.length - 1] ?? path;
    level[leaf] = mappingFor(spec.type, flavor, leaf);
  }
  return root;
}

function mappingFor(type: EcsFieldType, flavor: SearchFlavor, leaf: string): Record<string, unknown> {
  if (flavor === 'opensearch') {
    if (type === 'match_only_text') return { type: 'text' };
    if (type === 'constant_keyword') return { type: 'keyword' };
  }
  // Keyword fields of free text (subjects) are long: past 1024 characters they are kept but not indexed.
  if (type === 'keyword' && leaf === 'subject') return { type: 'keyword', ignore_above: 1024 };
  return { type };
}
