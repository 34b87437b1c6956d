// Exactly-once NDJSON across crashes. The collector writes a batch, fsyncs it, and only then removes it from its
// outbox; a process killed between the two redelivers that batch on restart (or the next lease holder does), and
// an append-only file would hold it twice. Redelivered events are marked (SinkEvent.redelivered): for a batch
// holding some, this wrapper looks for them at the end of the file (they are always among the last lines
// written) and acknowledges those it finds without writing them again.
//
// Bound: the scan reads backwards from the end until every redelivered key is found or `maxScanBytes` (default
// 64 MiB) has been read. Owed events were written after everything the outbox had already released, so they sit
// at the tail; only other tenants' batches written meanwhile can separate them from it.

import { open } from 'node:fs/promises';
import { NdjsonSink, type NdjsonSinkOptions } from './ndjson.ts';
import type { Sink, SinkAck, SinkEvent, SinkHealth, WriteOptions } from './types.ts';

export const DEFAULT_MAX_SCAN_BYTES = 64 * 1024 * 1024;

export interface ResumingNdjsonSinkOptions extends NdjsonSinkOptions {
  path: string;
  maxScanBytes?: number;
}

export class ResumingNdjsonSink implements Sink {
  readonly name: string;
  readonly #inner: NdjsonSink;
  readonly #path: string;
  readonly #maxScanBytes: number;
  /** How many redelivered events were recognised in the file (for tests and the run summary). */
  skipped = 0;

  constructor(options: ResumingNdjsonSinkOptions) {
    this.#inner = new NdjsonSink(
      { path: options.path },
      options.name !== undefined ? { name: options.name } : {},
    );
    this.name = this.#inner.name;
    this.#path = options.path;
    this.#maxScanBytes = options.maxScanBytes ?? DEFAULT_MAX_SCAN_BYTES;
  }

  get metrics() {
    return this.#inner.metrics;
  }

  async write(batch: readonly SinkEvent[], options: WriteOptions = {}): Promise<SinkAck> {
    const redelivered = new Set(batch.filter((e) => e.redelivered === true).map((e) => e.key));
    if (redelivered.size === 0) return this.#inner.write(batch, options);
    // Whole lines only: a torn last line (cut when the inner sink opens the file) matches nothing.
    const onDisk = await findTailKeys(this.#path, redelivered, this.#maxScanBytes);
    if (onDisk.size === 0) return this.#inner.write(batch, options);
    const already = batch.filter((e) => onDisk.has(e.key));
    const fresh = batch.filter((e) => !onDisk.has(e.key));
    this.skipped += already.length;
    const ack = await this.#inner.write(fresh, options);
    return { ...ack, acknowledged: [...already.map((e) => e.key), ...ack.acknowledged] };
  }

  flush(): Promise<void> {
    return this.#inner.flush();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  healthcheck(): Promise<SinkHealth> {
    return this.#inner.healthcheck();
  }
}

/** The subset of `keys` whose event.id appears in whole lines near the end of the file at `path`. */
export async function findTailKeys(
  path: string,
  keys: ReadonlySet<string>,
  maxBytes: number,
): Promise<Set<string>> {
  const found = new Set<string>();
  if (keys.size === 0) return found;
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return found;
    throw error;
  }
  try {
    const { size } = await file.stat();
    const chunkSize = 1024 * 1024;
    let position = size;
    // Bytes after the last newline seen so far (the start of a line that continues in the next chunk read).
    let carry = Buffer.alloc(0);
    let tornTail = true;
    while (position > 0 && size - position < maxBytes && found.size < keys.size) {
      const length = Math.min(chunkSize, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await file.read(chunk, 0, length, position);
      const data = Buffer.concat([chunk, carry]);
      // Split on bytes, not characters: a chunk may start inside a multi-byte character.
      const firstNewline = data.indexOf(0x0a);
      if (firstNewline < 0 && position > 0) {
        carry = data;
        continue;
      }
      // Before the first newline is the end of a line that starts in an earlier chunk, unless at the file start.
      const wholeFrom = position > 0 ? firstNewline + 1 : 0;
      carry = position > 0 ? data.subarray(0, firstNewline) : Buffer.alloc(0);
      const lines = data.subarray(wholeFrom).toString('utf8').split('\n');
      // After the file's final newline: a torn line left by a crash (or nothing), never a whole document.
      if (tornTail) {
        lines.pop();
        tornTail = false;
      }
      for (const line of lines) {
        const id = eventIdOf(line);
        if (id !== undefined && keys.has(id)) found.add(id);
      }
    }
    return found;
  } finally {
    await file.close();
  }
}

function eventIdOf(line: string): string | undefined {
  if (line === '') return undefined;
  try {
    const doc = JSON.parse(line) as { event?: { id?: unknown } };
    return typeof doc.event?.id === 'string' ? doc.event.id : undefined;
  } catch {
    return undefined;
  }
}
