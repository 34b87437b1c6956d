// Where the SQLite store lives unless --store or the config's "store" says otherwise. Its own module, without
// imports, so that the help of every command that names the default does not load the store to print it.
export const DEFAULT_STORE_PATH = './mailtrace.sqlite';

/** Where events refused for good by a sink are kept unless the config says otherwise: beside the store. */
export function defaultDeadLetterPath(storePath: string): string {
  return `${storePath.replace(/\.(sqlite3?|db)$/i, '')}.dead-letter.ndjson`;
}
