// Response latency per endpoint class, in real milliseconds (independent of the sim clock's scale), so that
// concurrency behaves like the real service: a slow page holds its mailbox slot while it is "in flight".
import type { EndpointClass } from './endpoint-class.ts';

export interface LatencyRange {
  minMs: number;
  maxMs: number;
}

/** Missing classes answer at once. `batch` is the $batch envelope's own overhead. */
export type LatencyModel = Partial<Record<EndpointClass, LatencyRange>>;

export const REALISTIC_LATENCY: LatencyModel = {
  token: { minMs: 80, maxMs: 200 },
  discovery: { minMs: 20, maxMs: 60 },
  users: { minMs: 120, maxMs: 400 },
  groups: { minMs: 120, maxMs: 400 },
  messages: { minMs: 40, maxMs: 150 },
  mailFolders: { minMs: 30, maxMs: 100 },
  messageTraces: { minMs: 300, maxMs: 1200 },
  batch: { minMs: 20, maxMs: 60 },
  other: { minMs: 30, maxMs: 100 },
};

export const ZERO_LATENCY: LatencyModel = {};

export function resolveLatencyModel(option: 'realistic' | 'zero' | LatencyModel | undefined): LatencyModel {
  if (option === undefined || option === 'realistic') return REALISTIC_LATENCY;
  if (option === 'zero') return ZERO_LATENCY;
  return option;
}

/** Skewed towards the low end (most responses are quick, a few are slow), like observed service latency. */
export function sampleLatencyMs(
  model: LatencyModel,
  endpointClass: EndpointClass,
  random: () => number,
): number {
  const range = model[endpointClass];
  if (!range || range.maxMs <= 0) return 0;
  const span = Math.max(0, range.maxMs - range.minMs);
  return range.minMs + span * random() * random();
}

export function delay(ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, ms));
}
