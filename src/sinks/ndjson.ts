// NDJSON sink: one ECS document per line, appended to a file (fsync on flush) or written to a stream (stdout).
// Every line of the file is one whole document, delivered once:
//   - a process killed mid-write can leave half a line at the end; opening the file again cuts that fragment off;
//   - a write that fails part-way (ENOSPC, EDQUOT, EIO) is rolled back: the file is truncated to where the batch
//     began before the batch is answered failed, so its retry does not leave the lines it did write twice, and a
//     half line never sits in front of the next batch. If the truncate fails too (the disk is still full, say),
//     nothing more is appended until a later write manages to repair the file.

import { type FileHandle, open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { safeJsonStringify } from '../core/safe-json.ts';
import {
  ackAll,
  failAll,
  type Sink,
  type SinkAck,
  type SinkEvent,
  type SinkHealth,
  SinkMetrics,
  type WriteOptions,
} from './types.ts';

export type NdjsonTarget = { path: string } | { stream: Writable };

export interface NdjsonSinkOptions {
  /** Default 'ndjson'. */
  name?: string;
  /** Opens the file (tests inject failing writes and truncates); default fs/promises `open`. */
  openFile?: (path: string, flags: string) => Promise<FileHandle>;
}

/** Error codes after which the same write may succeed later (space freed, quota raised). */
const RETRYABLE_FS_CODES = new Set(['ENOSPC', 'EDQUOT', 'EAGAIN', 'EIO', 'EINTR', 'EMFILE', 'ENFILE']);

export class NdjsonSink implements Sink {
  readonly name: string;
  readonly metrics = new SinkMetrics();
  readonly #target: NdjsonTarget;
  #file: FileHandle | undefined;
  #opening: Promise<FileHandle> | undefined;
  /** Writes are chained so that two tenants' batches never interleave inside a line. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #lastError: string | undefined;
  /** Why the last batch was refused by WriteOptions.assertOwner. */
  #ownerError: string | undefined;
  readonly #openFile: (path: string, flags: string) => Promise<FileHandle>;
  /** Where a failed batch began, while the bytes it did write could not be cut off yet. */
  #unrepairedFrom: number | undefined;

  constructor(target: NdjsonTarget, options: NdjsonSinkOptions = {}) {
    this.#target = target;
    this.name = options.name ?? 'ndjson';
    this.#openFile = options.openFile ?? open;
  }

  write(batch: readonly SinkEvent[], options: WriteOptions = {}): Promise<SinkAck> {
    const result = this.#queue.then(() => this.#write(batch, options));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #write(batch: readonly SinkEvent[], options: WriteOptions): Promise<SinkAck> {
    if (batch.length === 0) return ackAll(batch);
    let ack: SinkAck;
    if (this.#closed) {
      ack = failAll(batch, 'the NDJSON sink is closed', false);
    } else {
      const data = Buffer.from(batch.map((e) => safeJsonStringify(e.ecs) + '\n').join(''), 'utf8');
      try {
        if ('stream' in this.#target) await writeToStream(this.#target.stream, data);
        else {
          const file = await this.#handle();
          // Last moment before the bytes are committed to the file (a batch may have queued behind a slow one).
          if (!this.#stillOwner(options)) return this.#refuse(batch);
          await this.#appendWhole(file, data);
        }
        this.#lastError = undefined;
        ack = ackAll(batch);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? '';
        this.#lastError = describeError(error);
        ack = failAll(batch, `NDJSON write failed: ${this.#lastError}`, RETRYABLE_FS_CODES.has(code));
      }
    }
    this.metrics.record(batch, ack);
    return ack;
  }

  /** Appends `data`, or leaves the file as it was before the call (see the file comment). */
  async #appendWhole(file: FileHandle, data: Buffer): Promise<void> {
    if (this.#unrepairedFrom !== undefined) {
      await file.truncate(this.#unrepairedFrom); // still failing: refuse the batch rather than append after debris
      this.#unrepairedFrom = undefined;
    }
    const start = (await file.stat()).size;
    try {
      await writeAll(file, data);
    } catch (error) {
      try {
        await file.truncate(start);
      } catch {
        this.#unrepairedFrom = start;
      }
      throw error;
    }
  }

  #stillOwner(options: WriteOptions): boolean {
    try {
      options.assertOwner?.();
      return true;
    } catch (error) {
      this.#ownerError = (error as Error).message;
      return false;
    }
  }

  #refuse(batch: readonly SinkEvent[]): SinkAck {
    const ack = failAll(batch, `not written: ${this.#ownerError ?? 'this process no longer delivers'}`, true);
    this.metrics.record(batch, ack);
    return ack;
  }

  async flush(): Promise<void> {
    await this.#queue;
    if (this.#file) await this.#file.sync();
  }

  async close(): Promise<void> {
    await this.#queue;
    this.#closed = true;
    const file = this.#file;
    this.#file = undefined;
    if (file) {
      await file.sync();
      await file.close();
    }
  }

  async healthcheck(): Promise<SinkHealth> {
    if (this.#closed) return { ok: false, detail: 'closed' };
    if ('stream' in this.#target) {
      const stream = this.#target.stream;
      return stream.writable
        ? { ok: true, detail: 'stream writable' }
        : { ok: false, detail: 'stream closed' };
    }
    try {
      await this.#handle();
    } catch (error) {
      return { ok: false, detail: `cannot open ${this.#target.path}: ${describeError(error)}` };
    }
    if (this.#unrepairedFrom !== undefined) {
      return {
        ok: false,
        detail: `a failed write left a partial batch after byte ${this.#unrepairedFrom} that could not be cut off yet ` +
          `(${this.#lastError ?? 'unknown error'}); nothing is appended until it is`,
      };
    }
    if (this.#lastError !== undefined) return { ok: false, detail: `last write failed: ${this.#lastError}` };
    return { ok: true, detail: `appending to ${this.#target.path}` };
  }

  #handle(): Promise<FileHandle> {
    if (this.#file) return Promise.resolve(this.#file);
    if (!('path' in this.#target)) throw new Error('unreachable: stream target has no file');
    const path = this.#target.path;
    this.#opening ??= openForAppend(path, this.#openFile).then(
      (file) => {
        this.#file = file;
        this.#opening = undefined;
        return file;
      },
      (error: unknown) => {
        this.#opening = undefined;
        throw error;
      },
    );
    return this.#opening;
  }
}

/** Opens `path` for appending after cutting off a trailing partial line left by a crash. */
async function openForAppend(
  path: string,
  openFile: (path: string, flags: string) => Promise<FileHandle>,
): Promise<FileHandle> {
  const file = await openFile(path, 'a+');
  try {
    const { size } = await file.stat();
    if (size > 0) {
      const end = await lastNewlineEnd(file, size);
      if (end !== size) await file.truncate(end);
    }
    return file;
  } catch (error) {
    await file.close();
    throw error;
  }
}

/** Offset just after the last '\n' of the file (0 if there is none), reading backwards in chunks. */
async function lastNewlineEnd(file: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  let position = size;
  while (position > 0) {
    const length = Math.min(chunk.length, position);
    position -= length;
    const { bytesRead } = await file.read(chunk, 0, length, position);
    const index = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (index >= 0) return position + index + 1;
  }
  return 0;
}

async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await file.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

function writeToStream(stream: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (error) => (error ? reject(error) : resolve()));
  });
}

function describeError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code ? `${e.code} ${e.message}` : String((e as Error)?.message ?? error);
}
