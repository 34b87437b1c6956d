// Step 6: the local clock against Graph's. Certificate assertions carry nbf/exp and Entra refuses them when this
// machine's clock is off by minutes (AADSTS700024), so the doctor measures skew from a response's Date header.
import { type CheckResult, pass, skip, warn } from './check.ts';

/** Over this, certificate assertions start failing. */
export const MAX_SKEW_MS = 5 * 60_000;

/** A Date header and the local time at which its response arrived. */
export interface DateSample {
  header: string;
  localMs: number;
}

/**
 * Keeps one Date to compare with: the HTTP Date header of a response wins over a date quoted in an error body
 * (Graph's innerError.date), which is only a fallback when every answer was an error.
 */
export class DateSampler {
  sample: DateSample | undefined;
  private fromHeader = false;

  observe(date: string | null | undefined, localMs: number, source: 'header' | 'errorBody' = 'header'): void {
    if (!date || Number.isNaN(Date.parse(date))) return;
    if (this.fromHeader || (this.sample && source === 'errorBody')) return;
    this.sample = { header: date, localMs };
    this.fromHeader = source === 'header';
  }
}

export function checkClockSkew(sample: DateSample | undefined): CheckResult {
  const title = 'clock';
  if (!sample) return skip('clock', title, 'no Graph response with a Date header to compare with');
  // A Date header has whole seconds and the answer took time to arrive: a second of error is not skew.
  const skewMs = sample.localMs - Date.parse(sample.header);
  const seconds = Math.round(skewMs / 1000);
  const facts = { skewSeconds: seconds, graphDate: sample.header };
  const direction = skewMs > 0 ? 'ahead of' : 'behind';
  if (Math.abs(skewMs) > MAX_SKEW_MS)
    return warn(
      'clock',
      title,
      `the local clock is ${Math.abs(seconds)} s ${direction} Graph's: certificate assertions will be refused ` +
        '(AADSTS700024) and time windows will be off',
      'synchronise the system clock with NTP (e.g. `timedatectl set-ntp true`, or `w32tm /resync` on Windows)',
      { facts },
    );
  return pass('clock', title, `the local clock is within ${Math.max(1, Math.abs(seconds))} s of Graph's`, {
    facts,
  });
}
