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

/** Remembers the first readable Date header seen, so any successful or failed Graph answer can serve. */
export class DateSampler {
  sample: DateSample | undefined;

  observe(header: string | null | undefined, localMs: number): void {
    if (this.sample || !header || Number.isNaN(Date.parse(header))) return;
    this.sample = { header, localMs };
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
