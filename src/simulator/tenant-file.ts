// Tenant files: plain JSON, one array element per line, so that a 50,000-user tenant (larger than the biggest
// string V8 can hold) streams in and out, and a hand edit shows up as a one-line diff.
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Tenant } from './model.ts';
import { TenantFileError, validateTenant } from './tenant-validate.ts';

export { TenantFileError } from './tenant-validate.ts';

const ARRAY_KEYS = ['apps', 'users', 'groups', 'customFolders', 'traces', 'copies'] as const;
const FLUSH_BYTES = 1 << 20;
/** Files this small are parsed as free-form JSON, so any hand formatting works. */
const FREE_FORM_LIMIT = 256 * 1024 * 1024;

/** Writes the tenant atomically (temporary file, then rename). */
export function saveTenant(tenant: Tenant, path: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    let chunk = '';
    const write = (text: string): void => {
      chunk += text;
      if (chunk.length >= FLUSH_BYTES) {
        writeSync(fd, chunk);
        chunk = '';
      }
    };
    write('{\n');
    const scalars = Object.entries(tenant).filter(
      ([key]) => !(ARRAY_KEYS as readonly string[]).includes(key),
    );
    for (const [key, value] of scalars) write(`${JSON.stringify(key)}: ${JSON.stringify(value)},\n`);
    ARRAY_KEYS.forEach((key, k) => {
      const items: readonly unknown[] = tenant[key];
      write(`${JSON.stringify(key)}: [`);
      for (let i = 0; i < items.length; i++) write(`${i === 0 ? '\n' : ',\n'}${JSON.stringify(items[i])}`);
      write(`${items.length === 0 ? '' : '\n'}]${k === ARRAY_KEYS.length - 1 ? '' : ','}\n`);
    });
    write('}\n');
    writeSync(fd, chunk);
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(temporary, { force: true });
    throw error;
  }
}

export interface LoadOptions {
  /** Files up to this size are parsed as free-form JSON; larger ones must keep saveTenant's line layout. */
  freeFormLimitBytes?: number;
}

/** Reads and validates a tenant file; throws TenantFileError saying what is wrong and where. */
export function loadTenant(path: string, options: LoadOptions = {}): Tenant {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new TenantFileError(`cannot read the tenant file (${reason})`, undefined, path);
  }
  const limit = options.freeFormLimitBytes ?? FREE_FORM_LIMIT;
  const parsed = bytes.length <= limit ? parseFreeForm(bytes, path) : parseLineLayout(bytes, path);
  try {
    return shareMessageStrings(validateTenant(parsed));
  } catch (error) {
    if (error instanceof TenantFileError) throw new TenantFileError(error.problem, error.field, path);
    throw error;
  }
}

function parseFreeForm(bytes: Buffer, path: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new TenantFileError(`not valid JSON: ${(error as Error).message}`, undefined, path);
  }
}

/** Parses the layout saveTenant writes: scalar fields one per line, then arrays with one element per line. */
function parseLineLayout(bytes: Buffer, path: string): unknown {
  const root: Record<string, unknown> = {};
  let open: unknown[] | undefined;
  let lineNumber = 0;
  for (let start = 0; start < bytes.length;) {
    let end = bytes.indexOf(10, start);
    if (end < 0) end = bytes.length;
    const line = bytes.toString('utf8', start, end).trim();
    start = end + 1;
    lineNumber++;
    if (line === '' || line === '{' || line === '}') continue;
    const text = line.endsWith(',') ? line.slice(0, -1) : line;
    try {
      if (open) {
        if (text === ']') open = undefined;
        else open.push(JSON.parse(text));
        continue;
      }
      const arrayStart = /^"(\w+)": \[(\])?$/.exec(text);
      if (arrayStart) {
        const list: unknown[] = [];
        root[arrayStart[1]!] = list;
        if (!arrayStart[2]) open = list;
        continue;
      }
      Object.assign(root, JSON.parse(`{${text}}`));
    } catch {
      throw new TenantFileError(
        `line ${lineNumber} is not in the one-element-per-line layout that saveTenant writes ` +
          '(large tenant files must keep it)',
        undefined,
        path,
      );
    }
  }
  return root;
}

/**
 * Parsed rows each own their strings; the rows of one message carry the same ones. Pointing them at the first
 * row's copies gives back the sharing the generator had (a large tenant loads in far less heap).
 */
function shareMessageStrings(tenant: Tenant): Tenant {
  const rows = tenant.traces;
  for (let i = 1; i < rows.length; i++) {
    const row = rows[i]!;
    const previous = rows[i - 1]!;
    if (row.id !== previous.id) continue;
    row.id = previous.id;
    if (row.messageId === previous.messageId) row.messageId = previous.messageId;
    if (row.senderAddress === previous.senderAddress) row.senderAddress = previous.senderAddress;
    if (row.receivedDateTime === previous.receivedDateTime) row.receivedDateTime = previous.receivedDateTime;
    if (row.subject === previous.subject) row.subject = previous.subject;
    if (row.fromIP === previous.fromIP) row.fromIP = previous.fromIP;
    if (row.visibleFrom === previous.visibleFrom) row.visibleFrom = previous.visibleFrom;
  }
  return tenant;
}
