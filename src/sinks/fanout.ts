// Writes events to several sinks at once. An event is settled only when every sink that still owes it has
// acknowledged (or deliberately dropped) it; a sink that failed it keeps owing it, and only that sink sees it
// again, so a healthy sink is not handed duplicates because another one is down.

import type { Sink, SinkAck, SinkEvent, SinkHealth, WriteOptions } from './types.ts';

export interface PendingDelivery {
  event: SinkEvent;
  /** Names of the sinks that have not settled this event yet. */
  sinks: readonly string[];
}

export interface FanoutFailure {
  sink: string;
  key: string;
  reason: string;
}

export interface FanoutOutcome {
  /** Keys that no sink owes any more. */
  settled: string[];
  /** Keys that some sink failed, with the sinks that still owe them. */
  remaining: Map<string, string[]>;
  /** Failures (the event stays owed by that sink). */
  failed: FanoutFailure[];
  /** Deliberate drops by a sink (the event itself was refused): settled, counted with their reason. */
  dropped: FanoutFailure[];
}

/**
 * Sends each event to the sinks that owe it (all sinks in parallel, one batch per sink). A sink named in a
 * delivery but not configured any more is treated as settled: nobody is left to deliver to.
 */
export interface DeliverOptions {
  /**
   * Called as soon as one sink has settled keys (acknowledged or dropped), before the slower sinks answer, so
   * the caller can record it at once: a crash while another sink is still retrying then does not resend these
   * events to a sink that already holds them.
   */
  onSettled?: (sink: Sink, keys: readonly string[]) => void | Promise<void>;
  /**
   * Called with a sink's deliberate drops before they count as settled, to keep them (a dead-letter file). When
   * it rejects, those events are not settled: they stay owed by that sink and fail the delivery visibly.
   */
  onDropped?: (sink: Sink, drops: readonly { event: SinkEvent; reason: string }[]) => Promise<void>;
  /** Passed to every sink's write (see WriteOptions). */
  write?: WriteOptions;
}

export async function deliver(
  sinks: readonly Sink[],
  deliveries: readonly PendingDelivery[],
  options: DeliverOptions = {},
): Promise<FanoutOutcome> {
  const owed = new Map<string, Set<string>>();
  for (const d of deliveries)
    owed.set(d.event.key, new Set(d.sinks.filter((s) => sinks.some((k) => k.name === s))));
  const failed: FanoutFailure[] = [];
  const dropped: FanoutFailure[] = [];
  await Promise.all(
    sinks.map(async (sink) => {
      const batch = deliveries.filter((d) => owed.get(d.event.key)?.has(sink.name)).map((d) => d.event);
      if (batch.length === 0) return;
      const ack = await safeWrite(sink, batch, options.write);
      const answered = new Set<string>();
      for (const key of ack.acknowledged) {
        answered.add(key);
        owed.get(key)?.delete(sink.name);
      }
      const kept = await keepDrops(sink, batch, ack, options.onDropped);
      for (const drop of ack.dropped) {
        answered.add(drop.key);
        if (kept.ok) {
          owed.get(drop.key)?.delete(sink.name);
          dropped.push({ sink: sink.name, key: drop.key, reason: drop.reason });
        } else {
          failed.push({ sink: sink.name, key: drop.key, reason: kept.reason });
        }
      }
      for (const failure of ack.failed) {
        answered.add(failure.key);
        // A sink drops an event only when the event itself can never be delivered (over the intake's size
        // limit). A failure, even a non-retryable one (wrong intake key, missing index or pipeline, a mapping
        // the event does not fit), is about the sink: the event stays owed and the
        // window stays open until someone fixes the sink, so a misconfiguration never turns into data loss.
        failed.push({
          sink: sink.name,
          key: failure.key,
          reason: failure.retryable ? failure.reason : `${failure.reason} (fix the sink; events are kept)`,
        });
      }
      for (const event of batch) {
        if (!answered.has(event.key)) {
          failed.push({ sink: sink.name, key: event.key, reason: 'the sink did not answer for this event' });
        }
      }
      const settledHere = [...ack.acknowledged, ...(kept.ok ? ack.dropped.map((d) => d.key) : [])];
      if (settledHere.length > 0) await options.onSettled?.(sink, settledHere);
    }),
  );
  const settled: string[] = [];
  const remaining = new Map<string, string[]>();
  for (const [key, owing] of owed) {
    if (owing.size === 0) settled.push(key);
    else remaining.set(key, [...owing]);
  }
  return { settled, remaining, failed, dropped };
}

/** Hands a sink's drops to `onDropped`; says why they must stay owed when it could not keep them. */
async function keepDrops(
  sink: Sink,
  batch: readonly SinkEvent[],
  ack: SinkAck,
  onDropped: DeliverOptions['onDropped'],
): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (ack.dropped.length === 0 || !onDropped) return { ok: true };
  const byKey = new Map(batch.map((e) => [e.key, e]));
  const drops = ack.dropped.flatMap((d) => {
    const event = byKey.get(d.key);
    return event ? [{ event, reason: d.reason }] : [];
  });
  try {
    await onDropped(sink, drops);
    return { ok: true };
  } catch (error) {
    const why = (error as Error)?.message ?? String(error);
    return { ok: false, reason: `refused by the sink, and the dead-letter file could not keep it: ${why}` };
  }
}

async function safeWrite(sink: Sink, batch: SinkEvent[], options: WriteOptions | undefined): Promise<SinkAck> {
  try {
    return await sink.write(batch, options);
  } catch (error) {
    const reason = `sink ${sink.name} threw: ${(error as Error)?.message ?? String(error)}`;
    return {
      acknowledged: [],
      failed: batch.map((e) => ({ key: e.key, reason, retryable: true })),
      dropped: [],
    };
  }
}

/** Several sinks behind the Sink interface: an event is acknowledged only when every sink acknowledged it. */
export class FanoutSink implements Sink {
  readonly name: string;
  readonly sinks: readonly Sink[];

  constructor(sinks: readonly Sink[], name = 'fanout') {
    const names = new Set<string>();
    for (const sink of sinks) {
      if (names.has(sink.name))
        throw new Error(`two sinks are named ${JSON.stringify(sink.name)}: names must be unique`);
      names.add(sink.name);
    }
    this.sinks = sinks;
    this.name = name;
  }

  async write(batch: readonly SinkEvent[], options?: WriteOptions): Promise<SinkAck> {
    const names = this.sinks.map((s) => s.name);
    const outcome = await deliver(
      this.sinks,
      batch.map((event) => ({ event, sinks: names })),
      options ? { write: options } : {},
    );
    const failedByKey = new Map<string, string>();
    for (const f of outcome.failed) failedByKey.set(f.key, `${f.sink}: ${f.reason}`);
    const droppedByKey = new Map<string, string>();
    for (const d of outcome.dropped) droppedByKey.set(d.key, `${d.sink}: ${d.reason}`);
    const ack: SinkAck = { acknowledged: [], failed: [], dropped: [] };
    for (const event of batch) {
      const failure = failedByKey.get(event.key);
      const drop = droppedByKey.get(event.key);
      if (failure !== undefined) ack.failed.push({ key: event.key, reason: failure, retryable: true });
      else if (drop !== undefined) ack.dropped.push({ key: event.key, reason: drop });
      else ack.acknowledged.push(event.key);
    }
    return ack;
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
  }

  async healthcheck(): Promise<SinkHealth> {
    const checks = await Promise.all(
      this.sinks.map(async (s) => {
        try {
          return { name: s.name, ...(await s.healthcheck()) };
        } catch (error) {
          return { name: s.name, ok: false, detail: (error as Error).message };
        }
      }),
    );
    return {
      ok: checks.every((c) => c.ok),
      detail: checks.map((c) => `${c.name}: ${c.ok ? 'ok' : 'failing'} (${c.detail})`).join('; '),
    };
  }
}
