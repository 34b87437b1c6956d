// Small timing helpers: run a fixed amount of async work at a fixed concurrency and report the rate.

export interface RateFigure {
  count: number;
  seconds: number;
  perSecond: number;
}

/** Runs `task(i)` for i in [0, count) with `concurrency` workers; resolves with the achieved rate. */
export async function measureRate(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<RateFigure> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { count, seconds: round(seconds, 3), perSecond: Math.round(count / seconds) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('mean of nothing');
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
