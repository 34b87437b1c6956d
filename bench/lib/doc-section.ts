// Each benchmark owns one `## ` section of docs/benchmarks.md and rewrites only that one, so that running one
// benchmark never erases another's figures.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS_DOC = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));

/**
 * Replaces the section that starts with the line `heading` by `section` (which starts with that heading line).
 * A section not there yet goes right after the `after` section when that one exists, else at the end.
 */
export function writeDocSection(
  heading: string,
  section: string,
  options: { after?: string; path?: string } = {},
): void {
  const path = options.path ?? BENCHMARKS_DOC;
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const body = `${section.trim()}\n`;
  const start = sectionStart(doc, heading);
  let updated: string;
  if (start >= 0) {
    updated = doc.slice(0, start) + body + rest(doc, start);
  } else {
    const anchor = options.after === undefined ? -1 : sectionStart(doc, options.after);
    const end = anchor < 0 ? -1 : nextSection(doc, anchor);
    updated = end < 0 ? `${doc.trimEnd()}\n\n${body}` : `${doc.slice(0, end)}${body}\n${doc.slice(end)}`;
  }
  writeFileSync(path, `${updated.trimEnd()}\n`);
}

/** Where the line `heading` starts, or -1. */
function sectionStart(doc: string, heading: string): number {
  if (doc.startsWith(`${heading}\n`)) return 0;
  const at = doc.indexOf(`\n${heading}\n`);
  return at < 0 ? -1 : at + 1;
}

/** Where the section after the one starting at `start` begins, or -1 when it is the last. */
function nextSection(doc: string, start: number): number {
  const at = doc.indexOf('\n## ', start + 1);
  return at < 0 ? -1 : at + 1;
}

/** What follows the section starting at `start`, preceded by one blank line, or nothing. */
function rest(doc: string, start: number): string {
  const next = nextSection(doc, start);
  return next < 0 ? '' : `\n${doc.slice(next)}`;
}
