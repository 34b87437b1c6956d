// The demo starts from an empty history so that its figures mean the same thing every time, but it must never
// delete what it did not make: `--dir ~/Documents` once removed the directory and everything in it. A directory
// the demo made carries a marker file; only such a directory is emptied, any other must be empty or absent.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from '../errors.ts';

export const DEMO_MARKER = '.mailtrace-demo';

/**
 * Makes `dir` an empty demo directory, or refuses with a usage error and leaves it untouched. The default
 * directory (.tmp/demo, `isDefault`) is the demo's by name, so one left by a version without the marker is emptied.
 */
export function prepareDemoDir(dir: string, isDefault = false): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory())
      throw usageError(`--dir ${dir} is not a directory`, 'give a new or empty directory for the demo');
    const entries = readdirSync(dir);
    if (entries.length > 0 && !isDefault && !entries.includes(DEMO_MARKER))
      throw usageError(
        `--dir ${dir} is not empty and was not made by mailtrace demo; nothing in it was changed`,
        'give a new or empty directory, or leave --dir out to use .tmp/demo',
      );
    for (const entry of entries) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, DEMO_MARKER), 'made by mailtrace demo; the next demo run empties this directory\n');
}
