// The Elasticsearch/ECS type of every field toEcs emits, and a checker that validates a document against them.
// The checker is what keeps the mapping honest: tests run every emitted document through it, and a field that
// is emitted but not declared here is an error.

import { checkFieldTypes } from './ecs-check.ts';

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

/** Every problem found in `doc` (empty when it conforms): undeclared fields, wrong types, bad dates or ips. */
export function checkEcsTypes(doc: unknown): string[] {
  return checkFieldTypes(doc, ECS_FIELDS, 'ECS_FIELDS');
}
