// The store's one typed error. SQLite's failures become a code a caller can branch on and a message that says
// what to do; the raw SQLite error stays available as `cause` for debugging, never as the message.

export type StoreErrorCode =
  | 'locked' // another process holds the write lock beyond busy_timeout
  | 'full' // disk full, or the store reached its size cap
  | 'corrupt' // not a SQLite file, or a damaged one
  | 'too_new' // written by a newer mailtrace whose schema this version does not know
  | 'cannot_open' // missing directory, no permission
  | 'readonly' // file or directory not writable
  | 'io' // the operating system failed a read or write
  | 'conflict' // a versioned write lost against a concurrent one
  | 'fenced' // a write under a lease that another holder has taken over since
  | 'invalid' // the caller passed something the store cannot keep
  | 'closed' // used after close()
  | 'internal';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

// SQLite primary result codes (extended codes carry the primary one in the low byte).
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** Turns whatever a node:sqlite call threw into a StoreError about `operation` on the store at `path`. */
export function toStoreError(
  error: unknown,
  path: string,
  operation: string,
  busyTimeoutMs: number,
): StoreError {
  if (error instanceof StoreError) return error;
  const where = `mailtrace store ${path}: ${operation} failed`;
  const e = error as { code?: unknown; errcode?: unknown; errstr?: unknown; message?: unknown };
  if (e?.code === 'ERR_INVALID_STATE')
    return new StoreError('closed', `${where}: the store is closed`, { cause: error });
  if (e?.code !== 'ERR_SQLITE_ERROR' || typeof e.errcode !== 'number') {
    const detail = typeof e?.message === 'string' ? e.message : String(error);
    return new StoreError('internal', `${where}: ${detail}`, { cause: error });
  }
  const sqlite = typeof e.errstr === 'string' ? e.errstr : 'SQLite error';
  switch (e.errcode & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return new StoreError(
        'locked',
        `${where}: the store is locked by another writer and stayed locked for more than ${busyTimeoutMs} ms; ` +
          'another mailtrace process is probably writing to it. Retry, or give this process its own store file.',
        { cause: error },
      );
    case SQLITE_FULL:
      return new StoreError(
        'full',
        `${where}: the disk (or the store's size cap) is full (${sqlite}). Free space or move the store; ` +
          'nothing of this batch was written, so it can be retried.',
        { cause: error },
      );
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return new StoreError(
        'corrupt',
        `${where}: the file is not a mailtrace store or is damaged (${sqlite}). Point --store to another file ` +
          'or restore it from a backup.',
        { cause: error },
      );
    case SQLITE_CANTOPEN:
      return new StoreError(
        'cannot_open',
        `${where}: cannot open the file (${sqlite}); check that its directory exists and is writable.`,
        { cause: error },
      );
    case SQLITE_READONLY:
      return new StoreError(
        'readonly',
        `${where}: the store is read-only (${sqlite}); check its permissions.`,
        {
          cause: error,
        },
      );
    case SQLITE_IOERR:
      return new StoreError('io', `${where}: the operating system failed a read or write (${sqlite}).`, {
        cause: error,
      });
    default:
      return new StoreError('internal', `${where}: ${sqlite}`, { cause: error });
  }
}
