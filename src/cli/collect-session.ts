// Wires one collection: the store, a Graph client per tenant sharing the store's quota ledger, the sinks and the
// Collector. `mailtrace collect` and the crash test's child process both start collections here, so the test
// exercises exactly what the command runs.
import type { Writable } from 'node:stream';
import type { Clock, Logger } from '../graph/types.ts';
import { createSink, parseSinkConfig, SinkConfigError } from '../sinks/config.ts';
import { DeadLetterFile } from '../sinks/dead-letter.ts';
import { NdjsonSink } from '../sinks/ndjson.ts';
import { ResumingNdjsonSink } from '../sinks/ndjson-resume.ts';
import type { Sink } from '../sinks/types.ts';
import type { Store } from '../store/index.ts';
import { Collector, CollectorConfigError, type CollectorOptions } from '../trace/collector.ts';
import type { CollectorSettings, SinkConfig } from './collect-config.ts';
import type { TenantConfig } from './config.ts';
import { CliError, EXIT } from './errors.ts';
import { openStoreOrExplain } from './open-store.ts';
import { defaultDeadLetterPath } from './store-path.ts';
import { clientForTenant } from './tenant-client.ts';

// Both lived here first; re-exported so that their importers keep working.
export { openStoreOrExplain } from './open-store.ts';
export { DEFAULT_STORE_PATH } from './store-path.ts';

/** Builds a SIEM sink from its config entry (validating its own options); throws CliError with a fix. */
export type SinkFactory = (entry: {
  type: string;
  name: string;
  options: Record<string, unknown>;
  where: string;
  env: NodeJS.ProcessEnv;
  logger: Logger | undefined;
  /** The config file's directory, for relative paths. */
  baseDir: string;
}) => Sink;

/**
 * Extra sink types (e.g. from a plugin or a test). The SIEM sinks (sekoia, splunk-hec, elasticsearch) need no
 * entry: anything that is neither here nor ndjson goes to src/sinks/config.ts, which validates and builds it.
 */
export const SINK_FACTORIES = new Map<string, SinkFactory>();

const siemSinkFactory: SinkFactory = ({ type, name, options, where, env, logger, baseDir }) => {
  try {
    const config = parseSinkConfig({ ...options, type, name }, { env, baseDir }, where);
    return createSink(config, logger);
  } catch (error) {
    if (error instanceof SinkConfigError) throw new CliError(error.message, EXIT.config, error.fix);
    throw error;
  }
};

export interface CollectSessionOptions {
  tenants: readonly TenantConfig[];
  storePath: string;
  /** Sinks from the config file. */
  sinks?: readonly SinkConfig[];
  /** --ndjson: a file, or '-' for `stdout`. Replaces a config sink of the same name ('ndjson'). */
  ndjson?: string;
  stdout?: Writable;
  settings?: CollectorSettings;
  /** Backfill start as an instant (epoch ms); wins over settings.sinceMs. */
  since?: number;
  clock?: Clock;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Passed to the Collector as is (progress callbacks, page size, window length, reconcile interval). */
  collector?: Partial<
    Pick<
      CollectorOptions,
      | 'onProgress'
      | 'onCycle'
      | 'pageSize'
      | 'maxWindowMs'
      | 'reconcileIntervalMs'
      | 'maxPagesPerWindow'
      | 'lease'
    >
  >;
}

export interface CollectSession {
  collector: Collector;
  store: Store;
  sinks: readonly Sink[];
  /** Closes sinks (flushing them), Graph connections and the store; safe to call once. */
  close(): Promise<void>;
}

export function openCollectSession(options: CollectSessionOptions): CollectSession {
  const store = openStoreOrExplain(options.storePath);
  const clients: { close(): Promise<void> }[] = [];
  let sinks: Sink[] = [];
  try {
    sinks = buildSinks(options);
    const ledger = store.quotaLedger();
    const tenants = options.tenants.map((tenant) => {
      const client = clientForTenant(tenant, {
        quotaLedger: ledger,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
      clients.push(client);
      return {
        tenantId: tenant.tenantId,
        name: tenant.name,
        acceptedDomains: tenant.domains ?? [],
        send: client.send,
      };
    });
    const settings = options.settings ?? {};
    const now = (options.clock ?? { now: Date.now }).now();
    const since = options.since ?? (settings.sinceMs !== undefined ? now - settings.sinceMs : undefined);
    const collector = new Collector({
      store,
      sinks,
      tenants,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(settings.delayMs !== undefined ? { delayMs: settings.delayMs } : {}),
      ...(settings.trailingWindowMs !== undefined ? { trailingWindowMs: settings.trailingWindowMs } : {}),
      ...(settings.cycleIntervalMs !== undefined ? { cycleIntervalMs: settings.cycleIntervalMs } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(settings.leaseTtlMs !== undefined ? { lease: { ttlMs: settings.leaseTtlMs } } : {}),
      deadLetter: new DeadLetterFile(settings.deadLetterPath ?? defaultDeadLetterPath(options.storePath)),
      ...options.collector,
    });
    let closed = false;
    return {
      collector,
      store,
      sinks,
      close: async () => {
        if (closed) return;
        closed = true;
        await closeAll(sinks, clients, store);
      },
    };
  } catch (error) {
    void closeAll(sinks, clients, store);
    if (error instanceof CollectorConfigError)
      throw new CliError(
        error.message,
        EXIT.usage,
        'fix the collector settings (flags or `collector` in the config)',
      );
    throw error;
  }
}

async function closeAll(
  sinks: readonly Sink[],
  clients: { close(): Promise<void> }[],
  store: Store,
): Promise<void> {
  await Promise.allSettled([...sinks.map((s) => s.close()), ...clients.map((c) => c.close())]);
  try {
    store.close();
  } catch {
    // Already closed.
  }
}

function buildSinks(options: CollectSessionOptions): Sink[] {
  const entries: SinkConfig[] = (options.sinks ?? []).filter(
    (s) => options.ndjson === undefined || sinkName(s) !== 'ndjson',
  );
  if (options.ndjson !== undefined) entries.push({ type: 'ndjson', path: options.ndjson });
  const built: Sink[] = [];
  try {
    for (const entry of entries)
      built.push(
        buildConfiguredSink(entry, {
          env: options.env ?? process.env,
          logger: options.logger,
          ...(options.stdout ? { stdout: options.stdout } : {}),
        }),
      );
  } catch (error) {
    // A later entry's config error must not leave the sinks built before it holding sockets open.
    void Promise.allSettled(built.map((s) => s.close()));
    throw error;
  }
  return built;
}

/** The name a config entry's sink gets: its `name`, else its type (the outbox tracks deliveries by it). */
export function sinkName(entry: SinkConfig): string {
  return entry.name ?? entry.type;
}

export interface BuildSinkOptions {
  env: NodeJS.ProcessEnv;
  logger?: Logger | undefined;
  /** Where an ndjson sink with path '-' writes (default process.stdout). */
  stdout?: Writable;
}

/**
 * Builds the sink one `sinks` entry describes: NDJSON here, any other type through SINK_FACTORIES or the SIEM
 * sinks' own validation (src/sinks/config.ts). Config errors become CliError (exit 6) naming the key. Used by
 * collect, doctor and `mailtrace sinks`, so the three can never disagree about what a config means.
 */
export function buildConfiguredSink(entry: SinkConfig, options: BuildSinkOptions): Sink {
  const name = sinkName(entry);
  if ('path' in entry) {
    if (entry.path === '-') return new NdjsonSink({ stream: options.stdout ?? process.stdout }, { name });
    return new ResumingNdjsonSink({ path: entry.path, name });
  }
  const factory = SINK_FACTORIES.get(entry.type) ?? siemSinkFactory;
  return factory({
    type: entry.type,
    baseDir: entry.baseDir,
    name,
    options: entry.options,
    where: entry.where,
    env: options.env,
    logger: options.logger,
  });
}
