// Sweep progress on stderr: done/total, rate and ETA, redrawn in place on a terminal and at most every
// `everyMs`, so that a 50,000-mailbox sweep neither floods a log file nor looks frozen.
import type { SearchProgress } from './search.ts';

export function progressLine(tenant: string, p: SearchProgress): string {
  const percent = p.total === 0 ? 100 : Math.floor((p.done * 100) / p.total);
  const eta = p.etaMs === undefined ? '…' : `${Math.ceil(p.etaMs / 1000)} s`;
  return (
    `${tenant}: searched ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')} mailboxes ` +
    `(${percent}%), ${Math.round(p.ratePerSecond).toLocaleString('en-US')}/s, ETA ${eta}, found ${p.found}`
  );
}

export function progressReporter(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  tenant: string,
  everyMs = 250,
): { onProgress: (p: SearchProgress) => void; end: () => void } {
  let last = 0;
  let drawn = false;
  const tty = stream.isTTY === true;
  return {
    onProgress: (p) => {
      const now = Date.now();
      if (p.done < p.total && now - last < everyMs) return;
      last = now;
      drawn = true;
      stream.write(tty ? `\r\u001b[2K${progressLine(tenant, p)}` : `${progressLine(tenant, p)}\n`);
    },
    end: () => {
      if (drawn && tty) stream.write('\n');
    },
  };
}
