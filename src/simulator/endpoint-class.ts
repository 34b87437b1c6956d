// Which kind of endpoint a request hits: drives latency, permissions, limits and the stats breakdown.

export type EndpointClass =
  | 'token'
  | 'discovery'
  | 'users'
  | 'groups'
  | 'messages'
  | 'mailFolders'
  | 'messageTraces'
  | 'batch'
  | 'other';

export interface ClassifiedPath {
  endpointClass: EndpointClass;
  /** The decoded `{id|upn}` of a `/users/{id}/...` mailbox path (Outlook resources only). */
  mailboxRef?: string;
}

/** `path` is the Graph path after the version, still percent-encoded (e.g. "/users/a%40b.com/messages"). */
export function classifyGraphPath(path: string): ClassifiedPath {
  const lower = path.toLowerCase();
  if (lower === '/$batch') return { endpointClass: 'batch' };
  if (lower.startsWith('/admin/exchange/tracing/messagetraces')) return { endpointClass: 'messageTraces' };
  if (lower.startsWith('/groups')) return { endpointClass: 'groups' };
  const user = /^\/users(?:\/([^/?(]+)|\('([^']*)'\))(\/.*)?$/i.exec(path);
  if (user) {
    const ref = safeDecode(user[1] ?? user[2] ?? '');
    const rest = (user[3] ?? '').toLowerCase();
    if (/^\/(messages|mailfolders)/.test(rest)) {
      const endpointClass = rest.includes('/messages') ? 'messages' : 'mailFolders';
      return { endpointClass, mailboxRef: ref };
    }
    return { endpointClass: 'users' };
  }
  if (lower === '/users' || lower.startsWith('/users?')) return { endpointClass: 'users' };
  return { endpointClass: 'other' };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
