// The CLI's one output layer. Commands return data plus tables; this module alone decides how they look
// (table, json, csv, md, html) and where they go. JSON mode writes only JSON to stdout; logs go to stderr.
import { visibleControls, visibleControlsKeepingLines } from './text-safety.ts';
import { writeFileSync } from 'node:fs';
import { usageError } from './errors.ts';
import { safeJsonStringify } from '../core/safe-json.ts';

export const OUTPUT_FORMATS = ['table', 'json', 'csv', 'md', 'html'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Cell = string | number | boolean | null | undefined;

export interface Column {
  key: string;
  header: string;
  align?: 'left' | 'right';
}

export interface Table {
  title?: string;
  columns: Column[];
  rows: Record<string, Cell>[];
}

/** What a command hands to the output layer. */
export interface CommandOutput {
  /** The machine-readable result (JSON mode prints exactly this). */
  data: unknown;
  /** Human views of the result, in order. */
  tables: Table[];
  /** Lines printed under the tables in table mode (summary, hints). */
  notes?: string[];
  /** Title for Markdown and HTML documents. */
  title?: string;
}

export function parseOutputFormat(value: string | undefined): OutputFormat {
  const format = value ?? 'table';
  if ((OUTPUT_FORMATS as readonly string[]).includes(format)) return format as OutputFormat;
  throw usageError(`unknown output format '${format}'`, `use --output ${OUTPUT_FORMATS.join('|')}`);
}

export function cellText(value: Cell): string {
  if (value === null || value === undefined) return '';
  return String(value);
}

export interface Style {
  color: boolean;
}

/** Colour only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function detectStyle(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return { color: Boolean(stream.isTTY) && !('NO_COLOR' in env) && env.TERM !== 'dumb' };
}

const bold = (style: Style, text: string) => (style.color ? `\u001b[1m${text}\u001b[22m` : text);

/** Terminal characters that could rewrite the screen are shown escaped, never interpreted. */
const printable = visibleControls;

export function renderTerminalTable(table: Table, style: Style): string {
  const cells = table.rows.map((row) => table.columns.map((c) => printable(cellText(row[c.key]))));
  const widths = table.columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)),
  );
  const pad = (text: string, i: number) => {
    const width = widths[i] ?? 0;
    return table.columns[i]?.align === 'right' ? text.padStart(width) : text.padEnd(width);
  };
  const lines: string[] = [];
  if (table.title) lines.push(bold(style, printable(table.title)));
  lines.push(
    bold(
      style,
      table.columns
        .map((c, i) => pad(c.header, i))
        .join('  ')
        .trimEnd(),
    ),
  );
  lines.push(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const row of cells)
    lines.push(
      row
        .map((text, i) => pad(text, i))
        .join('  ')
        .trimEnd(),
    );
  return lines.join('\n');
}

/** RFC 4180: quote fields holding a comma, quote or line break; double the quotes. CRLF line ends. */
export function renderCsv(table: Table): string {
  const field = (value: Cell) => {
    const text = visibleControlsKeepingLines(cellText(value));
    // A leading =, +, - or @ makes spreadsheets evaluate the cell: prefix a quote so data stays data.
    const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
    return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  const lines = [table.columns.map((c) => field(c.header)).join(',')];
  for (const row of table.rows) lines.push(table.columns.map((c) => field(row[c.key])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** GitHub-flavoured Markdown: header and delimiter rows always agree; pipes and line breaks are escaped. */
/**
 * Untrusted text inside Markdown: `<…>` would become an autolink or raw HTML (a message id `<a@b>` would vanish
 * into a mailto link), `|` would split a table cell and a line break would end the row.
 */
export function escapeMarkdown(value: Cell): string {
  return visibleControlsKeepingLines(cellText(value))
    .replace(/\\/g, '\\\\')
    // `[x](javascript:…)` and `![](https://…/pixel.png)` would become a live link and a tracking image.
    .replace(/[[\]!]/g, (c) => `\\${c}`)
    .replace(/\|/g, '\\|')
    .replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'))
    .replace(/\r?\n|\r/g, '<br>');
}

export function renderMarkdownTable(table: Table): string {
  const escapeCell = escapeMarkdown;
  const lines: string[] = [];
  if (table.title) lines.push(`### ${escapeCell(table.title)}`, '');
  lines.push(`| ${table.columns.map((c) => escapeCell(c.header)).join(' | ')} |`);
  lines.push(`| ${table.columns.map((c) => (c.align === 'right' ? '---:' : '---')).join(' | ')} |`);
  for (const row of table.rows)
    lines.push(`| ${table.columns.map((c) => escapeCell(row[c.key])).join(' | ')} |`);
  return lines.join('\n');
}

export function escapeHtml(value: Cell): string {
  return visibleControlsKeepingLines(cellText(value)).replace(
    /[&<>"'`]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c] ?? c,
  );
}

function renderHtmlTable(table: Table): string {
  const head = table.columns.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('');
  const body = table.rows
    .map(
      (row) =>
        `<tr>${table.columns.map((c) => `<td${c.align === 'right' ? ' class="num"' : ''}>${escapeHtml(row[c.key])}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const title = table.title ? `<h2>${escapeHtml(table.title)}</h2>\n` : '';
  return `${title}<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** A self-contained page: no scripts, no external resources, every untrusted string escaped. */
export function renderHtml(output: CommandOutput): string {
  const title = escapeHtml(output.title ?? 'mailtrace');
  const notes = (output.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;color:#1b1b1b}table{border-collapse:collapse;margin:1em 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}</style></head>
<body><h1>${title}</h1>
${output.tables.map(renderHtmlTable).join('\n')}
${notes}
</body></html>
`;
}

export function render(output: CommandOutput, format: OutputFormat, style: Style): string {
  switch (format) {
    case 'json':
      return `${safeJsonStringify(output.data, 2)}\n`;
    case 'csv':
      // CSV holds one table; a command with several puts its main one first.
      return output.tables[0] ? renderCsv(output.tables[0]) : '';
    case 'md':
      return `${[
        output.title ? `# ${escapeMarkdown(output.title)}` : '',
        ...output.tables.map(renderMarkdownTable),
        ...(output.notes ?? []).map(escapeMarkdown),
      ]
        .filter(Boolean)
        .join('\n\n')}\n`;
    case 'html':
      return renderHtml(output);
    case 'table':
      return `${[...output.tables.map((t) => renderTerminalTable(t, style)), ...(output.notes ?? []).map(printable)].join('\n\n')}\n`;
  }
}

/** Writes the rendered output to --out FILE or stdout. */
export function emit(output: CommandOutput, format: OutputFormat, outFile: string | undefined): void {
  if (outFile) {
    writeOutFile(outFile, render(output, format, { color: false }), '--out');
    return;
  }
  process.stdout.write(render(output, format, detectStyle(process.stdout)));
}

const WRITE_FIXES: Record<string, string> = {
  EISDIR: 'give a file name, not a directory',
  ENOENT: 'create the directory first, or give a path in an existing one',
  ENOSPC: 'free some space on that disk, or write elsewhere',
  EACCES: 'check the permissions of the file and its directory',
};

/**
 * Writes a result or report file. A directory, a missing directory or a full disk is the analyst's path to fix,
 * not a crash with a stack trace.
 */
export function writeOutFile(path: string, text: string, option: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unwritable';
    throw usageError(
      `${option}: cannot write '${visibleControls(path)}' (${code})`,
      WRITE_FIXES[code] ?? 'check the path, its permissions and the free space',
    );
  }
}
