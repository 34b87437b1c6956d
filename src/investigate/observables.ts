// The playbook's observables: one per copy found, with the field names the Splunk SOAR "Message Identifier Activity
// Analysis" playbook emits, so that downstream automation written for it keeps working. Pure.
import type { InvestigationResult } from './model.ts';

export interface Observable {
  type: 'internet message id';
  source: 'mailtrace';
  /** The internet message id, angle brackets kept. */
  value: string;
  subject: string;
  sender: string;
  /** The mailbox searched that holds the copy. */
  recipient: string;
  /** Graph's message id in that mailbox. */
  o365_id: string;
  folder: string | null;
  is_read: boolean;
  tenant: string;
}

export function observablesOf(result: Pick<InvestigationResult, 'mailboxes' | 'tenant'>): Observable[] {
  return result.mailboxes.flatMap((m) =>
    m.copies.map((copy) => ({
      type: 'internet message id' as const,
      source: 'mailtrace' as const,
      value: copy.internetMessageId,
      subject: copy.subject,
      sender: copy.from,
      recipient: m.mailbox.address,
      o365_id: copy.graphId,
      folder: copy.folderName,
      is_read: copy.isRead,
      tenant: result.tenant,
    })),
  );
}
