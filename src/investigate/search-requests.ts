// The requests a mailbox search sends and how their answers are read: one `internetMessageId eq` query over the
// mailbox's folders and the same under Recoverable Items (which `/messages` does not reach), each with a minimal
// $select; and the folder lookup that turns a parentFolderId into a name.
import type { BatchItem } from '../graph/batch.ts';
import { asRecord, asString } from '../graph/json.ts';
import { buildQuery, encodeQueryValue, eqFilter } from '../graph/odata.ts';
import type { Copy } from './model.ts';

export const MESSAGE_SELECT = 'id,internetMessageId,subject,from,receivedDateTime,parentFolderId,isRead';
/** A mailbox rarely holds more than one or two copies of a message; a nextLink covers the rest. */
export const MESSAGE_PAGE_SIZE = 10;
export const RECOVERABLE_FOLDER = 'recoverableitemsdeletions';

export type SearchPart = 'messages' | 'recoverable';

export interface ReceivedRange {
  /** RFC 3339 UTC instants; either may be absent. */
  since?: string;
  until?: string;
}

/** The key a mailbox is addressed and limited by: its object id when known, else its address. */
export function mailboxKey(mailbox: { id?: string; address: string }): string {
  return (mailbox.id ?? mailbox.address).toLowerCase();
}

export function messageFilter(messageId: string, range: ReceivedRange = {}): string {
  const clauses = [eqFilter('internetMessageId', messageId)];
  // DateTimeOffset literals are unquoted in OData; only a validated instant is ever put here.
  if (range.since !== undefined) clauses.push(`receivedDateTime ge ${isoInstant(range.since)}`);
  if (range.until !== undefined) clauses.push(`receivedDateTime le ${isoInstant(range.until)}`);
  return clauses.join(' and ');
}

function isoInstant(value: string): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new RangeError(`not an RFC 3339 instant: ${JSON.stringify(value)}`);
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

export function searchItem(
  key: string,
  part: SearchPart,
  messageId: string,
  range: ReceivedRange | undefined,
  id: string,
): BatchItem {
  const scope = part === 'messages' ? 'messages' : `mailFolders/${RECOVERABLE_FOLDER}/messages`;
  const query = buildQuery({
    $filter: messageFilter(messageId, range),
    $select: MESSAGE_SELECT,
    $top: MESSAGE_PAGE_SIZE,
  });
  return { id, method: 'GET', url: `/users/${encodeQueryValue(key)}/${scope}${query}`, mailbox: key };
}

export function folderItem(key: string, folderId: string, id: string): BatchItem {
  return {
    id,
    method: 'GET',
    url: `/users/${encodeQueryValue(key)}/mailFolders/${encodeQueryValue(folderId)}${buildQuery({ $select: 'displayName' })}`,
    mailbox: key,
  };
}

export interface FoundMessage {
  graphId: string;
  internetMessageId: string;
  folderId: string;
  receivedDateTime: string;
  isRead: boolean;
  subject: string;
  from: string;
}

export interface MessagePage {
  messages: FoundMessage[];
  nextLink: string | undefined;
}

/** Reads a messages collection; entries without an id are skipped (they cannot be reported or acted on). */
export function readMessagePage(body: unknown): MessagePage {
  const record = asRecord(body);
  const value = Array.isArray(record?.value) ? record.value : [];
  const messages: FoundMessage[] = [];
  for (const entry of value) {
    const m = asRecord(entry);
    const graphId = asString(m?.id);
    if (m === undefined || graphId === undefined) continue;
    const from = asRecord(asRecord(m.from)?.emailAddress);
    messages.push({
      graphId,
      internetMessageId: asString(m.internetMessageId) ?? '',
      folderId: asString(m.parentFolderId) ?? '',
      receivedDateTime: asString(m.receivedDateTime) ?? '',
      isRead: m.isRead === true,
      subject: asString(m.subject) ?? '',
      from: asString(from?.address) ?? asString(from?.name) ?? '',
    });
  }
  const nextLink = asString(record?.['@odata.nextLink']);
  return { messages, nextLink };
}

export function readFolderName(body: unknown): string | undefined {
  return asString(asRecord(body)?.displayName);
}

export function toCopy(found: FoundMessage, requestedId: string, part: SearchPart): Copy {
  return {
    internetMessageId: requestedId,
    graphId: found.graphId,
    folderId: found.folderId,
    folderName: null,
    ...(part === 'recoverable' ? { wellKnownName: RECOVERABLE_FOLDER } : {}),
    receivedDateTime: found.receivedDateTime,
    isRead: found.isRead,
    subject: found.subject,
    from: found.from,
  };
}
