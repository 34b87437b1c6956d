// Step 7: sink healthchecks. The config has no `sinks` key yet, so there is nothing to check; when it gains one,
// each configured sink contributes a SinkHealthcheck here and the doctor runs them all.
import { type CheckResult, fail, pass, skip } from './check.ts';

/** What a sink exposes to the doctor: a name for the checklist and one cheap request that proves it is reachable. */
export interface SinkHealthcheck {
  name: string;
  /** Resolves when the sink accepted a no-op (e.g. an empty batch or a ping); rejects with a reason otherwise. */
  check(signal: AbortSignal): Promise<void>;
  /** What to do when it fails (e.g. "check the intake key and the intake URL"). */
  fix: string;
}

export async function checkSinks(
  sinks: readonly SinkHealthcheck[],
  signal: AbortSignal,
): Promise<CheckResult[]> {
  if (sinks.length === 0) return [skip('sinks', 'sinks', 'no sinks configured')];
  const results: CheckResult[] = [];
  for (const sink of sinks) {
    const title = `sink ${sink.name}`;
    try {
      await sink.check(signal);
      results.push(pass('sinks', title, `${sink.name} is reachable`));
    } catch (error) {
      if (signal.aborted) throw error;
      results.push(
        fail(
          'sinks',
          title,
          'config',
          `${sink.name}: ${error instanceof Error ? error.message : String(error)}`,
          sink.fix,
        ),
      );
    }
  }
  return results;
}
