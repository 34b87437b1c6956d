// GET /users/{x}/messages and /users/{x}/mailFolders/{f}/messages: the per-mailbox search an investigation
// runs for every mailbox, so the internetMessageId lookup is an index hit, never a scan.
import { createHash } from 'node:crypto';
import { graphError, type SimRequest, type SimResponse } from '../http-types.ts';
import type { SimMailboxCopy, SimRecipient, SimUser } from '../model.ts';
import type { TenantIndex } from './indexes.ts';
import { folderIdOf, mailboxFolders, type ResolvedFolder, recoverableFolderIds } from './mailbox.ts';
import { conjuncts, type FilterExpr, ODataSyntaxError, parseFilter, parseTop, selectedNames } from './odata.ts';

const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 1000;

const emailAddress = (r: SimRecipient) => ({ emailAddress: { name: r.name, address: r.address } });

/** Message properties that can be returned; what Mail.ReadBasic.All allows and the model knows. */
const MESSAGE_PROPERTIES: Record<string, (copy: SimMailboxCopy, userId: string) => unknown> = {
  id: (c) => c.graphId,
  receivedDateTime: (c) => c.receivedDateTime,
  sentDateTime: (c) => c.receivedDateTime,
  subject: (c) => c.subject,
  isRead: (c) => c.isRead,
  hasAttachments: (c) => c.hasAttachments,
  internetMessageId: (c) => c.internetMessageId,
  parentFolderId: (c, userId) => folderIdOf(userId, c.folder),
  from: (c) => emailAddress(c.from),
  sender: (c) => emailAddress(c.sender),
  toRecipients: (c) => c.toRecipients.map(emailAddress),
  ccRecipients: () => [],
  bccRecipients: () => [],
  replyTo: () => [],
  importance: () => 'normal',
  isDraft: () => false,
  categories: () => [],
};
const DEFAULT_MESSAGE_PROPERTIES = [
  'receivedDateTime',
  'subject',
  'isRead',
  'hasAttachments',
  'internetMessageId',
  'parentFolderId',
  'from',
  'sender',
  'toRecipients',
];
const CANONICAL_NAMES = new Map(Object.keys(MESSAGE_PROPERTIES).map((name) => [name.toLowerCase(), name]));

function etagOf(copy: SimMailboxCopy): string {
  const digest = createHash('sha256')
    .update(`${copy.graphId}/${copy.folder}/${copy.isRead}`)
    .digest('base64');
  return `W/"CQAAABYAAAA${digest.slice(0, 20)}"`;
}

function shapeMessage(copy: SimMailboxCopy, userId: string, properties: readonly string[]) {
  const shaped: Record<string, unknown> = { '@odata.etag': etagOf(copy), id: copy.graphId };
  for (const name of properties) {
    const get = MESSAGE_PROPERTIES[name];
    if (get) shaped[name] = get(copy, userId);
  }
  return shaped;
}

interface MessageQuery {
  internetMessageIds: string[];
  /** Inclusive/exclusive bounds on receivedDateTime in epoch ms. */
  bounds: { op: 'ge' | 'gt' | 'le' | 'lt' | 'eq'; ms: number }[];
}

class InvalidQuery extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const invalidFilter = () => new InvalidQuery('BadRequest', 'Invalid filter clause');

/**
 * $orderby on messages: receivedDateTime asc|desc is modelled (desc is also the default order); another property
 * is refused rather than silently ignored (our gap: Outlook sorts on many more).
 */
function parseOrder(options: Map<string, string>): 'asc' | 'desc' | undefined {
  const raw = options.get('$orderby');
  if (raw === undefined) return undefined;
  const match = /^\s*receivedDateTime(?:\s+(asc|desc))?\s*$/i.exec(raw);
  if (!match) throw new InvalidQuery('BadRequest', `The simulator does not implement $orderby=${raw} on messages.`);
  return (match[1]?.toLowerCase() as 'asc' | 'desc' | undefined) ?? 'asc';
}

/**
 * Only `and` of internetMessageId equality and receivedDateTime bounds: a query that tries to widen the match
 * (an unescaped quote turning the rest into `or …`) is rejected rather than evaluated.
 */
function compileMessageFilter(expr: FilterExpr): MessageQuery {
  const query: MessageQuery = { internetMessageIds: [], bounds: [] };
  for (const clause of conjuncts(expr)) {
    if (clause.kind !== 'compare') throw invalidFilter();
    const property = clause.property.toLowerCase();
    if (property === 'internetmessageid' && clause.op === 'eq' && clause.value.type === 'string') {
      query.internetMessageIds.push(clause.value.value);
    } else if (property === 'receiveddatetime' && clause.op !== 'ne' && clause.value.type === 'datetime') {
      const ms = Date.parse(clause.value.text);
      if (Number.isNaN(ms)) throw invalidFilter();
      query.bounds.push({ op: clause.op, ms });
    } else {
      throw invalidFilter();
    }
  }
  return query;
}

function withinBounds(copy: SimMailboxCopy, bounds: MessageQuery['bounds']): boolean {
  const t = Date.parse(copy.receivedDateTime);
  return bounds.every(({ op, ms }) =>
    op === 'ge' ? t >= ms : op === 'gt' ? t > ms : op === 'le' ? t <= ms : op === 'lt' ? t < ms : t === ms,
  );
}

function parseSelect(raw: string | undefined): { properties: string[]; explicit: boolean } {
  if (raw === undefined) return { properties: DEFAULT_MESSAGE_PROPERTIES, explicit: false };
  const properties = selectedNames(
    raw,
    CANONICAL_NAMES,
    (name) =>
      new InvalidQuery(
        'RequestBroker--ParseUri',
        `Could not find a property named '${name}' on type 'Microsoft.OutlookServices.Message'.`,
      ),
  );
  return { properties, explicit: true };
}

/**
 * Lists messages of a mailbox: every folder except the Recoverable Items subtree when `folder` is undefined,
 * else that one folder. The mailbox has already passed openMailbox().
 */
export function listMessages(
  req: SimRequest,
  index: TenantIndex,
  user: SimUser,
  folder: ResolvedFolder | undefined,
  options: Map<string, string>,
): SimResponse {
  try {
    const top = parseTop(options) ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
      return graphError(
        req,
        400,
        'ErrorInvalidArgument',
        `The value '${options.get('$top') ?? ''}' of $top is invalid: it must be between 1 and ${MAX_PAGE_SIZE}.`,
      );
    }
    const rawSkip = options.get('$skip') ?? '0';
    if (!/^\d+$/.test(rawSkip)) {
      return graphError(req, 400, 'ErrorInvalidArgument', `The value '${rawSkip}' of $skip is invalid.`);
    }
    const skip = Number(rawSkip);
    const select = parseSelect(options.get('$select'));
    const order = parseOrder(options);
    if (options.has('$search')) {
      // Outlook serves $search (KQL over the mailbox index); the simulator does not model it, and refuses it so
      // that no client passes here while relying on it. Documented: it cannot be combined with $filter either.
      throw new InvalidQuery('BadRequest', 'The simulator does not implement $search on messages.');
    }

    let query: MessageQuery = { internetMessageIds: [], bounds: [] };
    const rawFilter = options.get('$filter');
    if (rawFilter !== undefined) {
      try {
        query = compileMessageFilter(parseFilter(rawFilter));
      } catch (error) {
        if (error instanceof ODataSyntaxError) throw invalidFilter();
        throw error;
      }
    }

    let candidates: SimMailboxCopy[];
    const [firstId, ...otherIds] = query.internetMessageIds;
    if (firstId !== undefined) {
      // Several equalities on the same property can only all hold when they agree.
      candidates = otherIds.every((id) => id === firstId)
        ? (index.copiesByMailboxAndMessageId.get(`${user.id}\n${firstId}`) ?? [])
        : [];
    } else {
      candidates = index.copiesByMailbox.get(user.id) ?? [];
    }

    let inScope: (copy: SimMailboxCopy) => boolean;
    if (folder) {
      inScope = (copy) => folderIdOf(user.id, copy.folder) === folder.id;
    } else {
      const excluded = recoverableFolderIds(mailboxFolders(index, user.id), user.id);
      inScope = (copy) => !excluded.has(folderIdOf(user.id, copy.folder));
    }
    // The generator also places mail that arrives after the anchor; it exists only once the sim clock reaches it.
    const nowMs = req.now.getTime();
    const matching = candidates
      .filter(
        (copy) =>
          Date.parse(copy.receivedDateTime) <= nowMs && inScope(copy) && withinBounds(copy, query.bounds),
      )
      .sort((a, b) =>
        a.receivedDateTime !== b.receivedDateTime
          ? (a.receivedDateTime < b.receivedDateTime ? 1 : -1) * (order === 'asc' ? -1 : 1)
          : a.graphId < b.graphId
            ? -1
            : 1,
      );
    if (order !== undefined && rawFilter !== undefined && !/^\s*\(?\s*receivedDateTime\b/i.test(rawFilter)) {
      // Documented (message list, "Using filter and orderby in the same query"): the $orderby properties must come
      // first in $filter, in the same order, or Outlook refuses the query.
      throw new InvalidQuery('InefficientFilter', 'The restriction or sort order is too complex for this operation.');
    }

    const page = matching.slice(skip, skip + top);
    const selection = select.explicit ? `(${select.properties.join(',')})` : '';
    const scope = folder ? `mailFolders('${encodeURIComponent(folder.id)}')/messages` : 'messages';
    const body: Record<string, unknown> = {
      '@odata.context': `${req.baseUrl}/$metadata#users('${encodeURIComponent(user.id)}')/${scope}${selection}`,
      value: page.map((copy) => shapeMessage(copy, user.id, select.properties)),
    };
    // Documented for messages: $count=true adds the number of matching items to the first and later pages.
    if ((options.get('$count') ?? '').toLowerCase() === 'true') body['@odata.count'] = matching.length;
    if (skip + top < matching.length) {
      const kept = [...options].filter(([name]) => name !== '$skip' && name !== '$top');
      kept.push(['$top', String(top)], ['$skip', String(skip + top)]);
      // Outlook's nextLinks percent-encode the '$' of option names; clients must follow them verbatim.
      body['@odata.nextLink'] =
        `${req.baseUrl}${req.path}?` +
        kept.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
    }
    return { status: 200, body };
  } catch (error) {
    if (error instanceof InvalidQuery) return graphError(req, 400, error.code, error.message);
    throw error;
  }
}
