// The Elasticsearch/ECS type of every field an investigation document (investigate/ecs.ts) emits, and a checker
// in the manner of trace/ecs-fields.ts: tests run every emitted document through it, and a field emitted but not
// declared here is an error. A table of its own rather than an addition to ECS_FIELDS, because that table is also
// the message-trace index template: investigation fields there would be mapped in an index that never holds them.

import { type CheckedFieldType, checkFieldTypes } from '../trace/ecs-check.ts';
import { ECS_FIELDS, type EcsFieldSpec } from '../trace/ecs-fields.ts';

export type InvestigationFieldType = CheckedFieldType;

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

/** Every problem found in `doc` (empty when it conforms): undeclared fields, wrong types, bad dates. */
export function checkInvestigationEcsTypes(doc: unknown): string[] {
  return checkFieldTypes(doc, INVESTIGATION_ECS_FIELDS, 'INVESTIGATION_ECS_FIELDS');
}
