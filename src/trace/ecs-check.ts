// The type checker behind checkEcsTypes and checkInvestigationEcsTypes: one document against one field table.
// Shared so that the message-trace and investigation documents are held to exactly the same rules.

import { isIP } from 'node:net';
import type { EcsFieldType } from './ecs-fields.ts';

export type CheckedFieldType = EcsFieldType | 'boolean';

export interface CheckedFieldSpec {
  type: CheckedFieldType;
  array?: true;
}

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;
const LONG_MAX = 2 ** 63;

/**
 * Every problem found in `doc` against `fields` (empty when it conforms): undeclared fields, wrong types, bad
 * dates or ips. `tableName` names the table in the message for an undeclared field.
 */
export function checkFieldTypes(
  doc: unknown,
  fields: Readonly<Record<string, CheckedFieldSpec>>,
  tableName: string,
): string[] {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['document is not an object'];
  const problems: string[] = [];
  for (const [path, value] of flatten(doc as Record<string, unknown>, '')) {
    const spec = fields[path];
    if (!spec) {
      problems.push(`${path}: field is not declared in ${tableName}`);
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

function checkValue(type: CheckedFieldType, v: unknown): string | undefined {
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
