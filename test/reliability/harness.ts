// Shared by the reliability suite: the default (short) mode that runs inside `npm test`, and the full mode of
// `npm run test:reliability` (MAILTRACE_RELIABILITY=full), which runs the same tests larger and longer; plus a
// simulator on scaled time with a real Graph client living on the same time, as the acceptance test does.
import { createGraphClient, type GraphClient } from '../../src/graph/client.ts';
import { sleep } from '../../src/graph/clock.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/graph/retry-policy.ts';
import type { Clock, Logger } from '../../src/graph/types.ts';
import { ControllableClock } from '../../src/simulator/clock.ts';
import { generateTenant } from '../../src/simulator/generate.ts';
import type { FaultConfig } from '../../src/simulator/http-types.ts';
import type { Tenant } from '../../src/simulator/model.ts';
import { createGraphRouter } from '../../src/simulator/resources/index.ts';
import { type Simulator, startSimulator } from '../../src/simulator/server.ts';

export const FULL = process.env.MAILTRACE_RELIABILITY === 'full';

/** `short` in the default run, `full` under MAILTRACE_RELIABILITY=full. */
export function size<T>(short: T, full: T): T {
  return FULL ? full : short;
}

/** A seeded pseudo-random source (mulberry32): a failing fuzz case replays from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

export interface ScaledSim {
  tenant: Tenant;
  sim: Simulator;
  client: GraphClient;
  clock: Clock;
  close(): Promise<void>;
}

/** Simulated ms per real ms: a 3 s Retry-After passes in 15 ms. */
export const SCALE = 200;

/**
 * With ~45 % of attempts failing, 6 attempts would leave ~1 % of requests failed for good; 25 make that
 * negligible, so "every mailbox correct" tests the client, not luck. Fewer attempts are tested separately.
 */
export const PATIENT: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 25 };

export async function startScaledSim(options: {
  users: number;
  seed: number;
  faults: Partial<FaultConfig>;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  messagesPerUserPerDay?: number;
}): Promise<ScaledSim> {
  const tenant = generateTenant({
    users: options.users,
    days: 1,
    seed: options.seed,
    anchor: '2026-01-15T10:00:00Z',
    messagesPerUserPerDay: options.messagesPerUserPerDay ?? 1,
  });
  const simClock = new ControllableClock(tenant.anchor, SCALE);
  const sim = await startSimulator({
    tenants: [tenant],
    router: createGraphRouter,
    latency: 'zero',
    clock: simClock,
    faults: options.faults,
    // As in the acceptance test, requests already on the wire when a 429 is sent are presumed innocent, and each
    // slot may turn over once (a reset re-sent at once): a trace-first investigation sends its 9 window queries
    // (one per 10 days of the 90-day horizon) together, so 2 × 9.
    limits: { retryAfterInFlightAllowance: 18 },
  });
  const clock: Clock = {
    now: () => simClock.nowMs(),
    sleep: (ms, signal) => sleep(ms / SCALE, signal),
  };
  const app = tenant.apps.find((a) => a.roles.includes('Mail.ReadBasic.All')) ?? tenant.apps[0]!;
  const secret = app.secrets.find((s) => Date.parse(s.expiresAt) > simClock.nowMs())!.value;
  const client = createGraphClient({
    tenantId: tenant.tenantId,
    clientId: app.clientId,
    credential: { clientSecret: secret },
    authorityHost: sim.url,
    graphEndpoint: sim.url,
    caPem: sim.caCertPem,
    clock,
    retry: options.retry ?? PATIENT,
    env: {},
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    tenant,
    sim,
    client,
    clock,
    close: async () => {
      await client.close();
      await sim.close();
    },
  };
}
