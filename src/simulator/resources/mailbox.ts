// Mailbox access and mail folders: who has a searchable mailbox, how folder ids and well-known names resolve,
// and GET /users/{x}/mailFolders[/{f}[/childFolders]].
import { graphError, type SimRequest, type SimResponse } from '../http-types.ts';
import { type SimUser, WELL_KNOWN_FOLDERS, wellKnownFolderId } from '../model.ts';
import { resolveUser, type TenantIndex } from './indexes.ts';

export type MailboxLookup = { ok: true; user: SimUser } | { ok: false; response: SimResponse };

/** Resolves the user segment of a mailbox route and applies Exchange's reasons for refusing the mailbox. */
export function openMailbox(req: SimRequest, index: TenantIndex, idOrUpn: string): MailboxLookup {
  const user = resolveUser(index, idOrUpn);
  if (!user) {
    return {
      ok: false,
      response: graphError(req, 404, 'ResourceNotFound', 'Resource could not be discovered.'),
    };
  }
  // Flags are read from the live user object: tests change them after the router is built.
  if (user.unresolvable) {
    return {
      ok: false,
      response: graphError(req, 404, 'ErrorInvalidUser', `The requested user '${idOrUpn}' is invalid.`),
    };
  }
  if (user.mailbox !== 'exchangeOnline') {
    return {
      ok: false,
      response: graphError(
        req,
        404,
        'MailboxNotEnabledForRESTAPI',
        'The mailbox is either inactive, soft-deleted, or is hosted on-premise.',
      ),
    };
  }
  if (user.excludedByAccessPolicy) {
    return { ok: false, response: graphError(req, 403, 'ErrorAccessDenied', 'Access to OData is disabled.') };
  }
  return { ok: true, user };
}

export interface ResolvedFolder {
  id: string;
  displayName: string;
  /** Graph id of the parent, or null for a root. */
  parentId: string | null;
  /** Well-known name when the folder is one. */
  wellKnownName: string | undefined;
}

/** Every folder of one mailbox: the well-known ones plus the user's custom folders. */
export function mailboxFolders(index: TenantIndex, userId: string): ResolvedFolder[] {
  const folders: ResolvedFolder[] = [];
  for (const [name, info] of Object.entries(WELL_KNOWN_FOLDERS)) {
    folders.push({
      id: wellKnownFolderId(userId, name),
      displayName: info.displayName,
      parentId: info.parent === null ? null : wellKnownFolderId(userId, info.parent),
      wellKnownName: name,
    });
  }
  for (const folder of index.customFoldersByMailbox.get(userId) ?? []) {
    folders.push({
      id: folder.id,
      displayName: folder.displayName,
      parentId: folderIdOf(userId, folder.parentFolder),
      wellKnownName: undefined,
    });
  }
  return folders;
}

/** A copy's or folder's `folder` field holds a well-known name or a custom folder id; this gives the Graph id. */
export function folderIdOf(userId: string, nameOrId: string): string {
  return Object.hasOwn(WELL_KNOWN_FOLDERS, nameOrId) ? wellKnownFolderId(userId, nameOrId) : nameOrId;
}

export type FolderLookup = { ok: true; folder: ResolvedFolder } | { ok: false; response: SimResponse };

/** Graph folder ids are long base64 strings; anything that cannot be one is rejected before the lookup. */
const PLAUSIBLE_FOLDER_ID = /^[A-Za-z0-9+/=_-]{16,}$/;

export function findFolder(
  req: SimRequest,
  index: TenantIndex,
  userId: string,
  segment: string,
): FolderLookup {
  const folders = mailboxFolders(index, userId);
  const lower = segment.toLowerCase();
  const folder = folders.find((f) => f.wellKnownName === lower || f.id === segment);
  if (folder) return { ok: true, folder };
  if (!PLAUSIBLE_FOLDER_ID.test(segment)) {
    return { ok: false, response: graphError(req, 400, 'ErrorInvalidIdMalformed', 'Id is malformed.') };
  }
  return {
    ok: false,
    response: graphError(req, 404, 'ErrorItemNotFound', 'The specified object was not found in the store.'),
  };
}

/** Folders whose messages `/messages` does not return: the Recoverable Items subtree. */
export function recoverableFolderIds(folders: readonly ResolvedFolder[], userId: string): Set<string> {
  const excluded = new Set<string>([wellKnownFolderId(userId, 'recoverableitemsroot')]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const folder of folders) {
      if (folder.parentId !== null && excluded.has(folder.parentId) && !excluded.has(folder.id)) {
        excluded.add(folder.id);
        grew = true;
      }
    }
  }
  return excluded;
}

function shapeFolder(index: TenantIndex, userId: string, folder: ResolvedFolder, all: ResolvedFolder[]) {
  let total = 0;
  let unread = 0;
  for (const copy of index.copiesByMailbox.get(userId) ?? []) {
    if (folderIdOf(userId, copy.folder) !== folder.id) continue;
    total++;
    if (!copy.isRead) unread++;
  }
  return {
    id: folder.id,
    displayName: folder.displayName,
    parentFolderId: folder.parentId ?? wellKnownFolderId(userId, 'msgfolderroot'),
    childFolderCount: all.filter((f) => f.parentId === folder.id).length,
    unreadItemCount: unread,
    totalItemCount: total,
    isHidden: false,
  };
}

export function getFolder(req: SimRequest, index: TenantIndex, user: SimUser, segment: string): SimResponse {
  const found = findFolder(req, index, user.id, segment);
  if (!found.ok) return found.response;
  const all = mailboxFolders(index, user.id);
  return {
    status: 200,
    body: {
      '@odata.context': `${req.baseUrl}/$metadata#users('${encodeURIComponent(user.id)}')/mailFolders/$entity`,
      ...shapeFolder(index, user.id, found.folder, all),
    },
  };
}

/** Children of a folder; `segment` undefined lists the top of the mailbox (children of msgfolderroot). */
export function listChildFolders(
  req: SimRequest,
  index: TenantIndex,
  user: SimUser,
  segment: string | undefined,
): SimResponse {
  let parentId = wellKnownFolderId(user.id, 'msgfolderroot');
  if (segment !== undefined) {
    const found = findFolder(req, index, user.id, segment);
    if (!found.ok) return found.response;
    parentId = found.folder.id;
  }
  const all = mailboxFolders(index, user.id);
  const suffix =
    segment === undefined ? 'mailFolders' : `mailFolders('${encodeURIComponent(parentId)}')/childFolders`;
  return {
    status: 200,
    body: {
      '@odata.context': `${req.baseUrl}/$metadata#users('${encodeURIComponent(user.id)}')/${suffix}`,
      value: all.filter((f) => f.parentId === parentId).map((f) => shapeFolder(index, user.id, f, all)),
    },
  };
}
