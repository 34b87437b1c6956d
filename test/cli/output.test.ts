import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import {
  type CommandOutput,
  detectStyle,
  parseOutputFormat,
  render,
  renderCsv,
  renderHtml,
  renderMarkdownTable,
  renderTerminalTable,
  type Table,
  writeOutFile,
} from '../../src/cli/output.ts';
import { CliError, EXIT } from '../../src/cli/errors.ts';

const hostile: Table = {
  title: 'Copies',
  columns: [
    { key: 'mailbox', header: 'Mailbox' },
    { key: 'subject', header: 'Subject' },
    { key: 'count', header: 'Count', align: 'right' },
  ],
  rows: [
    { mailbox: 'adele@contoso.com', subject: 'a | b\nc "quoted", <script>alert(1)</script>', count: 2 },
    { mailbox: 'bob@contoso.com', subject: '=HYPERLINK("http://evil")', count: 10 },
    { mailbox: 'eve@contoso.com', subject: '\u001b[2Jclear screen', count: null },
  ],
};

describe('markdown', () => {
  it('keeps header, delimiter and every row at the same column count', () => {
    const lines = renderMarkdownTable(hostile)
      .split('\n')
      .filter((l) => l.startsWith('|'));
    const cells = (line: string) => line.replace(/\\\|/g, '').split('|').length;
    assert.equal(lines.length, 2 + hostile.rows.length);
    for (const line of lines) assert.equal(cells(line), cells(lines[0] ?? ''), line);
    assert.match(lines[1] ?? '', /^\| --- \| --- \| ---: \|$/);
  });

  it('escapes pipes, line breaks and HTML', () => {
    const md = renderMarkdownTable(hostile);
    assert.ok(md.includes('a \\| b<br>c'));
    assert.ok(!md.includes('<script>'));
  });
});

describe('csv', () => {
  it('quotes per RFC 4180 and defuses formulas', () => {
    const csv = renderCsv(hostile);
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'Mailbox,Subject,Count');
    assert.equal(lines[1], 'adele@contoso.com,"a | b\nc ""quoted"", <script>alert(1)</script>",2');
    assert.equal(lines[2], `bob@contoso.com,"'=HYPERLINK(""http://evil"")",10`);
    assert.ok(csv.endsWith('\r\n'));
  });
});

describe('html', () => {
  it('escapes every untrusted string and loads nothing external', () => {
    const output: CommandOutput = { data: {}, tables: [hostile], title: '<img src=x onerror=alert(1)>' };
    const html = renderHtml(output);
    assert.ok(!html.includes('<script>'));
    assert.ok(!html.includes('<img'));
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!/src=["']?http/.test(html));
    assert.match(html, /Content-Security-Policy/);
  });
});

describe('terminal table', () => {
  it('aligns columns and never lets control characters through', () => {
    const text = renderTerminalTable(hostile, { color: false });
    assert.ok(!text.includes('\u001b'));
    assert.ok(text.includes('\\u001b[2Jclear screen'));
    const lines = text.split('\n');
    assert.equal(lines[0], 'Copies');
    assert.match(lines[1] ?? '', /^Mailbox\s+Subject\s+Count$/);
  });

  it('uses colour only on a TTY without NO_COLOR', () => {
    assert.equal(detectStyle({ isTTY: true }, {}).color, true);
    assert.equal(detectStyle({ isTTY: true }, { NO_COLOR: '' }).color, false);
    assert.equal(detectStyle({ isTTY: false }, {}).color, false);
  });
});

describe('formats', () => {
  it('json prints exactly the data', () => {
    const out = render({ data: { a: 1 }, tables: [hostile], notes: ['note'] }, 'json', { color: false });
    assert.deepEqual(JSON.parse(out), { a: 1 });
  });

  it('rejects an unknown format with the list of valid ones', () => {
    assert.throws(() => parseOutputFormat('xml'), /unknown output format 'xml'/);
    assert.equal(parseOutputFormat(undefined), 'table');
  });
});

describe('markdown document', () => {
  it('escapes the title and notes, so a message id stays visible instead of becoming a link', () => {
    const md = render(
      { data: {}, tables: [], title: 'Investigation of <a+b@evil.example>', notes: ['scope: <x@y> | z'] },
      'md',
      { color: false },
    );
    assert.ok(md.startsWith('# Investigation of &lt;a+b@evil.example&gt;\n'));
    assert.ok(md.includes('scope: &lt;x@y&gt; \\| z'));
    assert.ok(!md.includes('<a+b'));
  });
});

test('hostile text: no control byte or bidi override reaches csv, md, html or the terminal; md links are inert', () => {
  const hostile =
    '\u001b]0;pwned\u0007\u001b[2J\u001b]8;;https://evil/\u0007click\u001b]8;;\u0007 [x](javascript:alert(1)) ' +
    '![](https://evil/pixel.png) \u202Efdp.exe';
  const table = { columns: [{ key: 's', header: 'Subject' }], rows: [{ s: hostile }, { s: '=HYPERLINK("https://evil")' }] };
  type Output = Parameters<typeof render>[0];
  const out = { title: hostile, notes: [hostile], tables: [table], data: { subject: hostile } } as unknown as Output;
  for (const format of ['csv', 'md', 'html', 'table'] as const) {
    const text = render(out, format, { color: false } as Parameters<typeof render>[2]);
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/, format);
    assert.match(text, /u001b/, `${format} shows the escape visibly`);
  }
  const md = render(out, 'md', { color: false } as Parameters<typeof render>[2]);
  assert.doesNotMatch(md, /(?<!\\)\[x\]\(javascript/);
  assert.doesNotMatch(md, /(?<!\\)!\[\]\(https/);
  assert.match(render(out, 'csv', { color: false } as Parameters<typeof render>[2]), /^"'=HYPERLINK/m);
  const json = render(out, 'json', { color: false } as Parameters<typeof render>[2]);
  assert.doesNotMatch(json, /[\u0000-\u0009\u000b-\u001f]/, 'JSON.stringify escapes controls');
  assert.ok(json.includes('\\u001b'));
});

test('--out on a directory, in a missing directory or on a full disk is a usage error with a fix, not a crash', () => {
  const cases: [string, RegExp][] = [
    ['/tmp', /\(EISDIR\)/],
    ['/nonexistent-mailtrace-dir/x.csv', /\(ENOENT\)/],
    ['/dev/full', /\(ENOSPC\)/],
  ];
  for (const [path, code] of cases)
    assert.throws(
      () => writeOutFile(path, 'x', '--out'),
      (error: unknown) =>
        error instanceof CliError && error.exitCode === EXIT.usage && code.test(error.message) && !!error.fix,
      path,
    );
});
