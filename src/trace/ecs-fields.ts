// The Elasticsearch/ECS type of every field toEcs emits, and a checker that validates a document against them.
// The checker is what keeps the mapping honest: tests run every emitted document through it, and a field that
// is emitted but not declared here is an error.

import { isIP } from 'node:net';

export type EcsFieldType = 'keyword' | 'constant_keyword' | 'date' | 'ip' | 'long' | 'match_only_text';

export interface EcsFieldSpec {
  type: EcsFieldType;
  /** The field holds an array of values (ECS fields may always be arrays; these always are). */
  array?: true;
  /** A custom field outside ECS (under the `microsoft.message_trace` namespace). */
  custom?: true;
}

export const ECS_VERSION = '8.17.0';

export const ECS_FIELDS: Readonly<Record<string, EcsFieldSpec>> = {
  '@timestamp': { type: 'date' },
  'ecs.version': { type: 'keyword' },
  'event.kind': { type: 'keyword' },
  'event.category': { type: 'keyword', array: true },
  'event.type': { type: 'keyword', array: true },
  'event.action': { type: 'keyword' },
  'event.outcome': { type: 'keyword' },
  'event.id': { type: 'keyword' },
  'event.dataset': { type: 'keyword' },
  'event.provider': { type: 'keyword' },
  'email.message_id': { type: 'keyword' },
  'email.local_id': { type: 'keyword' },
  'email.from.address': { type: 'keyword', array: true },
  'email.to.address': { type: 'keyword', array: true },
  'email.subject': { type: 'keyword' },
  'email.direction': { type: 'keyword' },
  'email.delivery_timestamp': { type: 'date' },
  'source.ip': { type: 'ip' },
  'destination.ip': { type: 'ip' },
  'network.bytes': { type: 'long' },
  'related.ip': { type: 'ip', array: true },
  'related.user': { type: 'keyword', array: true },
  'observer.vendor': { type: 'keyword' },
  'observer.product': { type: 'keyword' },
  'observer.type': { type: 'keyword' },
  'cloud.account.id': { type: 'keyword' },
  'cloud.account.name': { type: 'keyword' },
  'microsoft.message_trace.id': { type: 'keyword', custom: true },
  'microsoft.message_trace.messageId': { type: 'keyword', custom: true },
  'microsoft.message_trace.senderAddress': { type: 'keyword', custom: true },
  'microsoft.message_trace.recipientAddress': { type: 'keyword', custom: true },
  'microsoft.message_trace.receivedDateTime': { type: 'date', custom: true },
  'microsoft.message_trace.subject': { type: 'match_only_text', custom: true },
  'microsoft.message_trace.size': { type: 'long', custom: true },
  // keyword, not ip: Graph sends '' for mail coming into Exchange Online, which an ip field would reject.
  'microsoft.message_trace.fromIP': { type: 'keyword', custom: true },
  'microsoft.message_trace.toIP': { type: 'keyword', custom: true },
  'microsoft.message_trace.status': { type: 'keyword', custom: true },
};

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const LONG_MAX = 2 ** 63;

/** Every problem found in `doc` (empty when it conforms): undeclared fields, wrong types, bad dates or ips. */
export function checkEcsTypes(doc: unknown): string[] {
  const problems: string[] = [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['document is not an object'];
  for (const [path, value] of flatten(doc as Record<string, unknown>, '')) {
    const spec = ECS_FIELDS[path];
    if (!spec) {
      problems.push(`${path}: field is not declared in ECS_FIELDS`);
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

function checkValue(type: EcsFieldType, v: unknown): string | undefined {
  switch (type) {
    case 'keyword':
    case 'constant_keyword':
    case 'match_only_text':
      return typeof v === 'string' ? undefined : `expected a string, got ${typeof v}`;
    case 'date':
      if (typeof v !== 'string' || !RFC3339_UTC.test(v) || !Number.isFinite(Date.parse(v))) {
        return `expected an RFC 3339 UTC date, got ${JSON.stringify(v)}`;
      }
      return undefined;
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
      yield* flatten(value as Record<string, unknown>, path + '.');
    } else {
      yield [path, value];
    }
  }
}
