// The Elasticsearch/ECS type of every field an investigation document (investigate/ecs.ts) emits, and a checker
// in the manner of trace/ecs-fields.ts: tests run every emitted document through it, and a field emitted but not
// declared here is an error. A table of its own rather than an addition to ECS_FIELDS, because that table is also
// the message-trace index template: investigation fields there would be mapped in an index that never holds them.

import { isIP } from 'node:net';
import { ECS_FIELDS, type EcsFieldSpec, type EcsFieldType } from '../trace/ecs-fields.ts';

export type InvestigationFieldType = EcsFieldType | 'boolean';

export interface InvestigationFieldSpec {
  type: InvestigationFieldType;
  array?: true;
  /** Outside ECS, under the `mailtrace.investigation` namespace. */
  custom?: true;
}

/** The ECS fields shared with the message-trace documents keep the very same declaration. */
function shared(path: string): EcsFieldSpec {
  const spec = ECS_FIELDS[path];
  if (!spec) throw new Error(`${path} is not an ECS field of the message-trace documents`);
  return spec;
}

const SHARED = [
  '@timestamp',
  'ecs.version',
  'event.kind',
  'event.category',
  'event.type',
  'event.action',
  'event.outcome',
  'event.id',
  'event.dataset',
  'event.provider',
  'email.message_id',
  'email.local_id',
  'email.from.address',
  'email.to.address',
  'email.subject',
  'email.delivery_timestamp',
  'related.user',
  'observer.vendor',
  'observer.product',
  'observer.type',
  'cloud.account.id',
  'cloud.account.name',
];

export const INVESTIGATION_ECS_FIELDS: Readonly<Record<string, InvestigationFieldSpec>> = {
  ...Object.fromEntries(SHARED.map((path) => [path, shared(path)])),
  'event.start': { type: 'date' },
  'event.end': { type: 'date' },
  'event.reason': { type: 'keyword' },
  'user.id': { type: 'keyword' },
  'user.email': { type: 'keyword' },
  'user.full_name': { type: 'keyword' },
  'mailtrace.investigation.run_id': { type: 'keyword', custom: true },
  'mailtrace.investigation.scope': { type: 'keyword', custom: true },
  'mailtrace.investigation.complete': { type: 'boolean', custom: true },
  'mailtrace.investigation.tenant': { type: 'keyword', custom: true },
  'mailtrace.investigation.outcome': { type: 'keyword', custom: true },
  'mailtrace.investigation.reason': { type: 'keyword', custom: true },
  'mailtrace.investigation.detail': { type: 'keyword', custom: true },
  'mailtrace.investigation.request_id': { type: 'keyword', custom: true },
  'mailtrace.investigation.mailbox_kind': { type: 'keyword', custom: true },
  'mailtrace.investigation.folder': { type: 'keyword', custom: true },
  'mailtrace.investigation.folder_id': { type: 'keyword', custom: true },
  'mailtrace.investigation.well_known_folder': { type: 'keyword', custom: true },
  'mailtrace.investigation.is_read': { type: 'boolean', custom: true },
  'mailtrace.investigation.graph_id': { type: 'keyword', custom: true },
  'mailtrace.investigation.trace_status': { type: 'keyword', custom: true },
  'mailtrace.investigation.reconciliation': { type: 'keyword', custom: true },
};

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const LONG_MAX = 2 ** 63;

/** Every problem found in `doc` (empty when it conforms): undeclared fields, wrong types, bad dates. */
export function checkInvestigationEcsTypes(doc: unknown): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['document is not an object'];
  const problems: string[] = [];
  for (const [path, value] of flatten(doc as Record<string, unknown>, '')) {
    const spec = INVESTIGATION_ECS_FIELDS[path];
    if (!spec) {
      problems.push(`${path}: field is not declared in INVESTIGATION_ECS_FIELDS`);
      continue;
    }
    if (Array.isArray(value)) {
      if (!spec.array) problems.push(`${path}: expected a single value, got an array`);
      if (value.length === 0) problems.push(`${path}: empty array (omit the field instead)`);
      value.forEach((v, i) => {
        const p = checkValue(spec.type, v);
        if (p) problems.push(`${path}[${i}]: ${p}`);
      });
    } else {
      if (spec.array) problems.push(`${path}: expected an array`);
      const p = checkValue(spec.type, value);
      if (p) problems.push(`${path}: ${p}`);
    }
  }
  return problems;
}

function checkValue(type: InvestigationFieldType, v: unknown): string | undefined {
  switch (type) {
    case 'keyword':
    case 'constant_keyword':
    case 'match_only_text':
      return typeof v === 'string' ? undefined : `expected a string, got ${typeof v}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected a boolean, got ${typeof v}`;
    case 'date':
      return typeof v === 'string' && RFC3339_UTC.test(v) && Number.isFinite(Date.parse(v))
        ? undefined
        : `expected an RFC 3339 UTC date, got ${JSON.stringify(v)}`;
    case 'ip':
      return typeof v === 'string' && isIP(v) !== 0
        ? undefined
        : `expected an IPv4/IPv6 address, got ${JSON.stringify(v)}`;
    case 'long':
      return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < LONG_MAX
        ? undefined
        : `expected an integer, got ${JSON.stringify(v)}`;
  }
}

function* flatten(obj: Record<string, unknown>, prefix: string): Generator<[string, unknown]> {
  for (const [key, value] of Object.entries(obj)) {
    const path = prefix + key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      yield* flatten(value as Record<string, unknown>, `${path}.`);
    } else {
      yield [path, value];
    }
  }
}
