// Command-line parsing for `npm run simulator`, kept pure so that it is tested without starting a process.
import { parseArgs } from 'node:util';
import type { FaultConfig } from './http-types.ts';

export { SIMULATOR_USAGE } from './usage.ts';

export interface SimulatorCliOptions {
  users: number;
  seed: number;
  days: number;
  port: number;
  latency: 'realistic' | 'zero';
  tenantFile?: string;
  writeConfig?: string;
  faults: Partial<FaultConfig>;
}

export type ParsedArgs = { ok: true; options: SimulatorCliOptions } | { ok: false; message: string };

export function parseSimulatorArgs(argv: string[]): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        users: { type: 'string' },
        seed: { type: 'string' },
        days: { type: 'string' },
        port: { type: 'string' },
        latency: { type: 'string' },
        'tenant-file': { type: 'string' },
        'write-config': { type: 'string' },
        faults: { type: 'string' },
      },
    }));
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const integer = (name: string, fallback: number, min: number, max: number): number | string => {
    const raw = values[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(String(raw)) || n < min || n > max)
      return `--${name} must be an integer from ${min} to ${max} (got ${String(raw)})`;
    return n;
  };
  const users = integer('users', 200, 30, 500_000);
  const seed = integer('seed', 1, 0, 0xffffffff);
  const days = integer('days', 7, 1, 90);
  const port = integer('port', 0, 0, 65_535);
  for (const v of [users, seed, days, port]) if (typeof v === 'string') return { ok: false, message: v };
  const latency = values.latency ?? 'realistic';
  if (latency !== 'realistic' && latency !== 'zero') {
    return { ok: false, message: `--latency must be realistic or zero (got ${String(latency)})` };
  }
  const rate = values.faults === undefined ? 0 : Number(values.faults);
  if (!(rate >= 0 && rate <= 1)) {
    return {
      ok: false,
      message: `--faults must be a probability from 0 to 1 (got ${String(values.faults)})`,
    };
  }
  return {
    ok: true,
    options: {
      users: users as number,
      seed: seed as number,
      days: days as number,
      port: port as number,
      latency,
      ...(typeof values['tenant-file'] === 'string' ? { tenantFile: values['tenant-file'] } : {}),
      ...(typeof values['write-config'] === 'string' ? { writeConfig: values['write-config'] } : {}),
      faults: faultMix(rate, seed as number),
    },
  };
}

/** Splits one overall fault rate across kinds, weighted towards throttling as the real service is. */
export function faultMix(rate: number, seed: number): Partial<FaultConfig> {
  if (rate === 0) return { seed };
  return {
    seed,
    throttle429: rate * 0.4,
    throttle429NoRetryAfter: rate * 0.1,
    unavailable503: rate * 0.2,
    gatewayTimeout504: rate * 0.15,
    connectionReset: rate * 0.05,
    brokenSkiptoken: rate * 0.1,
    perBatchItem: true,
  };
}
