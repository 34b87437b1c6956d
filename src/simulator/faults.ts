// Seeded fault injection for Graph requests: the same seed and the same request order give the same faults,
// so a failing client test replays exactly.
import type { FaultConfig } from './http-types.ts';
import { seededRandom } from './random.ts';
import type { FaultKind } from './stats.ts';

export const NO_FAULTS: FaultConfig = {
  seed: 1,
  throttle429: 0,
  throttle429NoRetryAfter: 0,
  unavailable503: 0,
  gatewayTimeout504: 0,
  connectionReset: 0,
  brokenSkiptoken: 0,
  perBatchItem: false,
};

export interface InjectedFault {
  kind: FaultKind;
  /** Seconds, for the kinds that carry Retry-After. */
  retryAfterSeconds?: number;
}

export function resolveFaultConfig(partial: Partial<FaultConfig> | undefined): FaultConfig {
  const config: FaultConfig = { ...NO_FAULTS, ...stripUndefined(partial ?? {}) };
  for (const key of [
    'throttle429',
    'throttle429NoRetryAfter',
    'unavailable503',
    'gatewayTimeout504',
    'connectionReset',
    'brokenSkiptoken',
  ] as const) {
    const rate = config[key];
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`fault rate ${key} must be in [0, 1], got ${rate}`);
  }
  return config;
}

export class FaultInjector {
  #config: FaultConfig;
  #random: () => number;

  constructor(config: FaultConfig) {
    this.#config = config;
    this.#random = seededRandom(config.seed);
  }

  get config(): FaultConfig {
    return this.#config;
  }

  /** Replaces the configuration; the random stream restarts from the (possibly new) seed. */
  configure(config: FaultConfig): void {
    this.#config = config;
    this.#random = seededRandom(config.seed);
  }

  /**
   * Draws exactly two numbers per call whatever the outcome, so that one request's fault never shifts the
   * stream for the next. `allowReset` is false for $batch items (they cannot drop a socket of their own).
   */
  decide(path: string, allowReset = true): InjectedFault | undefined {
    const pick = this.#random();
    const retryAfterSeconds = 1 + Math.floor(this.#random() * 3);
    const c = this.#config;
    if (c.exempt?.test(path)) return undefined;
    let edge = 0;
    const table: [FaultKind, number][] = [
      ['throttle429', c.throttle429],
      ['throttle429NoRetryAfter', c.throttle429NoRetryAfter],
      ['unavailable503', c.unavailable503],
      ['gatewayTimeout504', c.gatewayTimeout504],
      ['connectionReset', c.connectionReset],
    ];
    for (const [kind, rate] of table) {
      edge += rate;
      if (pick < edge) {
        if (kind === 'connectionReset' && !allowReset) return { kind: 'gatewayTimeout504' };
        return kind === 'throttle429' || kind === 'unavailable503' ? { kind, retryAfterSeconds } : { kind };
      }
    }
    return undefined;
  }
}

/** Status, Graph error code and message of an injected fault (connection resets have no response). */
export function faultResponseShape(fault: InjectedFault): { status: number; code: string; message: string } {
  switch (fault.kind) {
    case 'throttle429':
    case 'throttle429NoRetryAfter':
      return { status: 429, code: 'TooManyRequests', message: 'Too many requests, please retry later.' };
    case 'unavailable503':
      return { status: 503, code: 'ServiceUnavailable', message: 'Service is temporarily unavailable.' };
    default:
      return {
        status: 504,
        code: 'GatewayTimeout',
        message: 'The gateway did not receive a response from the backend in time.',
      };
  }
}

export function retryAfterHeaders(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'Retry-After': String(seconds) };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
