// Folder names for found copies: a message only carries its parentFolderId (an opaque id), and responders need
// "Deleted Items". Each distinct (mailbox, folder) is looked up once, all of them through one batched run; only
// mailboxes that hold a copy pay for it, so a sweep of 50,000 mailboxes adds a handful of requests.
import { type BatchItem, type BatchOptions, batch } from '../graph/batch.ts';
import type { Send } from '../graph/types.ts';
import type { Copy } from './model.ts';
import { folderItem, readFolderName } from './search-requests.ts';

/** Display names by `${mailboxKey}\n${folderId}`; share one across calls to avoid asking twice. */
export type FolderNameCache = Map<string, string>;

export interface CopiesOfMailbox {
  key: string;
  copies: Copy[];
}

/**
 * Sets folderName on every copy whose folder can be named (mutates the copies). A folder that cannot be looked up
 * leaves folderName null; the copy keeps its folderId. Returns how many lookups were sent.
 */
export async function resolveFolderNames(
  send: Send,
  mailboxes: readonly CopiesOfMailbox[],
  options: BatchOptions = {},
  cache: FolderNameCache = new Map(),
): Promise<number> {
  const wanted = new Map<string, { key: string; folderId: string }>();
  for (const { key, copies } of mailboxes) {
    for (const copy of copies) {
      const cacheKey = `${key}\n${copy.folderId}`;
      if (copy.folderId !== '' && !cache.has(cacheKey))
        wanted.set(cacheKey, { key, folderId: copy.folderId });
    }
  }
  const items: BatchItem[] = [...wanted].map(([cacheKey, { key, folderId }]) =>
    folderItem(key, folderId, cacheKey),
  );
  if (items.length > 0) {
    for await (const result of batch(send, items, options)) {
      if (!result.ok) continue;
      const name = readFolderName(result.body);
      if (name !== undefined) cache.set(result.id, name);
    }
  }
  for (const { key, copies } of mailboxes) {
    for (const copy of copies) copy.folderName = cache.get(`${key}\n${copy.folderId}`) ?? null;
  }
  return items.length;
}
