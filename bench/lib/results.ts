// bench/results.json holds every benchmark's latest figures, one top-level key per area. Each benchmark merges
// its own key so that running one never erases the others'.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RESULTS_PATH = fileURLToPath(new URL('../results.json', import.meta.url));

export function mergeResults(key: string, figures: unknown, path: string = RESULTS_PATH): void {
  let all: Record<string, unknown> = {};
  if (existsSync(path)) {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${path} is not a JSON object; fix or delete it`);
    }
    all = parsed as Record<string, unknown>;
  }
  all[key] = figures;
  // Written beside and renamed, so an interrupted run never leaves a half-written file.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(all, null, 2)}\n`);
  renameSync(temporary, path);
}
