// How far behind collection is, in the unit a reader takes in at a glance (collect's cycle lines, status's table).
import { DAY_MS } from '../trace/windows.ts';

export function formatLag(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 2 * DAY_MS) return `${(ms / 3_600_000).toFixed(1)}h`;
  return `${(ms / DAY_MS).toFixed(1)}d`;
}
