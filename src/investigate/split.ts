// A result of several message ids seen as one result per id: what a consumer written for one id at a time (the
// ECS documents, a per-id export) reads, so that no line or trace row of one id is ever read as another's. Pure.
import { type InvestigationResult, linesOf } from './model.ts';

type Splittable = Pick<InvestigationResult, 'messageIds' | 'mailboxes' | 'trace'>;

/** One result per message id, in the run's order, each holding only that id's lines and trace rows. */
export function splitByMessageId<T extends Splittable>(result: T): T[] {
  return result.messageIds.map((messageId) => ({
    ...result,
    messageIds: [messageId],
    mailboxes: linesOf(result.mailboxes, messageId),
    trace: result.trace.filter((row) => row.messageId === undefined || row.messageId === messageId),
  }));
}
