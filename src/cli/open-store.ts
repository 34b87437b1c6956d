// Opening the SQLite store with a fix for each way it can fail. Apart from collect-session.ts so that commands
// that only read the store (status, trace --local) do not load the Graph client and the sinks with it.
import { openStore, type Store, StoreError } from '../store/index.ts';
import { CliError, EXIT } from './errors.ts';

export function openStoreOrExplain(path: string): Store {
  try {
    return openStore(path);
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    const fix =
      error.code === 'too_new'
        ? 'upgrade mailtrace, or point --store at another file'
        : error.code === 'corrupt'
          ? 'point --store at a mailtrace store (or a new file): this one is not a readable SQLite database'
          : 'check that the directory exists and is writable, or pass another --store FILE';
    throw new CliError(error.message, EXIT.config, fix, { cause: error });
  }
}
