// Where events a sink refused for good go: a sink drops an event only when the event itself can never be
// delivered (over the intake's size limit, a shape the SIEM rejects), and a drop must not be a loss, so the
// event is appended to a dead-letter file, durably, before the outbox forgets it. One JSON object per line:
// when, which tenant and sink, why, and the event as it would have been sent (the Graph row and its ECS form),
// so that an operator can fix the cause and replay it.

import { open } from 'node:fs/promises';
import type { SinkEvent } from './types.ts';

export interface DeadLetterEntry {
  sink: string;
  reason: string;
  event: SinkEvent;
}

export interface DeadLetter {
  /** Where the entries go (shown in the collector's summary). */
  readonly location: string;
  /** Resolves once the entries are durable; rejects when they could not be written (the drops then stay owed). */
  write(entries: readonly DeadLetterEntry[], at: Date): Promise<void>;
}

/** The dead-letter line of one refused event. */
export function deadLetterLine(entry: DeadLetterEntry, at: Date): string {
  const { event } = entry;
  return `${JSON.stringify({
    at: at.toISOString(),
    tenant: event.tenant,
    sink: entry.sink,
    reason: entry.reason,
    key: event.key,
    kind: event.kind,
    row: event.row,
    ecs: event.ecs,
  })}\n`;
}

/** Appends to an NDJSON file, fsynced before `write` resolves. */
export class DeadLetterFile implements DeadLetter {
  readonly location: string;
  /** Appends are chained so that two tenants' entries never interleave inside a line. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.location = path;
  }

  write(entries: readonly DeadLetterEntry[], at: Date): Promise<void> {
    const result = this.#queue.then(() => this.#append(entries.map((e) => deadLetterLine(e, at)).join('')));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #append(text: string): Promise<void> {
    if (text === '') return;
    const file = await open(this.location, 'a');
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
  }
}
