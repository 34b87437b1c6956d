// The simulator's Graph resources: routes an authenticated SimRequest (v1.0 or beta) to users, mailboxes,
// mail folders, messages and message traces. Indexes are built once per tenant here.
import {
  type CreateGraphRouter,
  type GraphRouter,
  graphError,
  type SimRequest,
  type SimResponse,
} from '../http-types.ts';
import { buildIndex, type TenantIndex } from './indexes.ts';
import { findFolder, getFolder, listChildFolders, openMailbox } from './mailbox.ts';
import { listMessages } from './messages.ts';
import { ODataSyntaxError, parseQuery, pathSegments } from './odata.ts';
import { getDetailsByRecipient, parseDetailsSegment } from './trace-details.ts';
import { listMessageTraces } from './traces.ts';
import { getUser, listUsers } from './users.ts';

export const createGraphRouter: CreateGraphRouter = (tenant) => {
  const index = buildIndex(tenant);
  const router: GraphRouter = (req) => {
    let segments: string[];
    let options: Map<string, string>;
    try {
      segments = pathSegments(req.path);
      options = parseQuery(req.rawQuery);
    } catch (error) {
      if (error instanceof ODataSyntaxError) return graphError(req, 400, 'BadRequest', error.message);
      throw error;
    }
    const handler = route(
      segments.map((s) => s.toLowerCase()),
      segments,
      index,
      options,
    );
    if (!handler) return undefined;
    if (req.method !== 'GET') {
      return graphError(
        req,
        405,
        'Request_BadRequest',
        `The HTTP method '${req.method}' is not allowed here.`,
      );
    }
    return handler(req);
  };
  return router;
};

type Handler = (req: SimRequest) => SimResponse;

/** Matches lower-cased route names; `raw` holds the decoded segments for keys (ids, UPNs, folder ids). */
function route(
  lower: string[],
  raw: string[],
  index: TenantIndex,
  options: Map<string, string>,
): Handler | undefined {
  const [first, ...rest] = lower;
  if (first === 'users') return routeUsers(rest, raw.slice(1), index, options);
  if (first === 'me') {
    return (req) =>
      graphError(req, 400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  }
  if (lower.length >= 4 && lower.slice(0, 4).join('/') === 'admin/exchange/tracing/messagetraces') {
    if (lower.length === 4) return (req) => listMessageTraces(req, index, options);
    const traceId = raw[4] as string;
    const call = raw[5];
    if (lower.length === 6 && call !== undefined) {
      const details = parseDetailsSegment(call);
      if (details === 'malformed') {
        return (req) =>
          graphError(req, 400, 'BadRequest', "getDetailsByRecipient requires recipientAddress='{address}'.");
      }
      if (details) return (req) => getDetailsByRecipient(req, index, traceId, details.recipientAddress);
    }
  }
  return undefined;
}

function routeUsers(
  lower: string[],
  raw: string[],
  index: TenantIndex,
  options: Map<string, string>,
): Handler | undefined {
  if (lower.length === 0) return (req) => listUsers(req, index, options);
  const userKey = raw[0] as string;
  if (lower.length === 1) return (req) => getUser(req, index, userKey, options);
  const [, resource, folderKey, sub] = lower;
  const rawFolderKey = raw[2];

  const withMailbox =
    (next: (req: SimRequest, user: Parameters<typeof listMessages>[2]) => SimResponse): Handler =>
      (req) => {
        const mailbox = openMailbox(req, index, userKey);
        return mailbox.ok ? next(req, mailbox.user) : mailbox.response;
      };

  if (resource === 'messages' && lower.length === 2) {
    return withMailbox((req, user) => listMessages(req, index, user, undefined, options));
  }
  if (resource !== 'mailfolders') return undefined;
  if (folderKey === undefined || rawFolderKey === undefined) {
    return withMailbox((req, user) => listChildFolders(req, index, user, undefined));
  }
  if (lower.length === 3) return withMailbox((req, user) => getFolder(req, index, user, rawFolderKey));
  if (lower.length !== 4) return undefined;
  if (sub === 'childfolders') {
    return withMailbox((req, user) => listChildFolders(req, index, user, rawFolderKey));
  }
  if (sub === 'messages') {
    return withMailbox((req, user) => {
      const found = findFolder(req, index, user.id, rawFolderKey);
      return found.ok ? listMessages(req, index, user, found.folder, options) : found.response;
    });
  }
  return undefined;
}
