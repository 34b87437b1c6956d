// Internet message ids as the user types them, turned into the one canonical form used everywhere after: the
// RFC 5322 msg-id with its angle brackets, `<id-left@id-right>`, exactly as message trace and Graph's
// internetMessageId report it. Validation is strict on purpose: a typo'd id silently matches nothing, and a
// responder would read "not found" as "nobody received it".
import { readFile } from 'node:fs/promises';

/** RFC 5322 §3.6.4 caps a header line at 998 characters; no real Message-ID comes close. */
export const MAX_MESSAGE_ID_LENGTH = 998;

const EXAMPLE = 'a valid id looks like <CAF1a2b3c4@mail.example.com> (angle brackets optional)';

export class MessageIdError extends Error {
  override readonly name = 'MessageIdError';
  /** What was wrong, without the input (which may be huge or hold control characters). */
  readonly reason: string;
  /** Where the id came from, e.g. "argument 2" or "line 7 of ids.txt". */
  readonly where: string | undefined;

  constructor(input: string, reason: string, where?: string) {
    const at = where === undefined ? '' : ` (${where})`;
    super(`Not an internet message id${at}: ${preview(input)}: ${reason}; ${EXAMPLE}.`);
    this.reason = reason;
    this.where = where;
  }
}

/** A short, printable rendering of bad input: control characters escaped, long input cut. */
function preview(input: string): string {
  const cut = input.length > 80 ? `${input.slice(0, 80)}…` : input;
  return JSON.stringify(cut);
}

// atext (RFC 5322 §3.2.3) plus UTF-8 beyond ASCII (RFC 6532 §3.2); dtext (§3.2.4 no-fold-literal) is printable
// ASCII except '[', ']' and '\', plus UTF-8 beyond ASCII.
const ATEXT = "A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u00A0-\\u{10FFFF}";
const DOT_ATOM_TEXT = new RegExp(`^[${ATEXT}]+(?:\\.[${ATEXT}]+)*$`, 'u');
const NO_FOLD_LITERAL = /^\[[\x21-\x5a\x5e-\x7e\u00A0-\u{10FFFF}]*\]$/u;
// C0, DEL and C1 controls, and the Unicode line/paragraph separators.
const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/;
const WHITESPACE = /\s/u;

/**
 * Validates an internet message id and returns its canonical form `<local@domain>`. Surrounding whitespace is
 * trimmed and angle brackets are added when absent. Throws MessageIdError saying what is wrong.
 */
export function parseMessageId(input: string, where?: string): string {
  const fail = (reason: string): never => {
    throw new MessageIdError(input, reason, where);
  };
  const trimmed = input.trim();
  if (trimmed === '') fail('it is empty');
  if (CONTROL.test(trimmed)) fail('it contains a control character (tab, newline, NUL, …)');
  if (WHITESPACE.test(trimmed)) fail('it contains a space');
  const opens = trimmed.startsWith('<');
  const closes = trimmed.endsWith('>');
  if (opens !== closes)
    fail(
      opens ? "it starts with '<' but does not end with '>'" : "it ends with '>' but does not start with '<'",
    );
  const inner = opens ? trimmed.slice(1, -1) : trimmed;
  if (inner.includes('<') || inner.includes('>')) fail("it contains '<' or '>' inside the id");
  const canonical = `<${inner}>`;
  if (canonical.length > MAX_MESSAGE_ID_LENGTH) {
    fail(`it is ${canonical.length} characters long; the limit is ${MAX_MESSAGE_ID_LENGTH}`);
  }
  const at = inner.lastIndexOf('@');
  if (at < 0) fail("it has no '@' between the left part and the domain part");
  const left = inner.slice(0, at);
  const right = inner.slice(at + 1);
  if (left === '') fail("nothing comes before the '@'");
  if (right === '') fail("nothing comes after the '@'");
  if (!DOT_ATOM_TEXT.test(left)) {
    fail(
      left.includes('@')
        ? "it has more than one '@'"
        : 'the part before the \'@\' has a character not allowed there ("()<>[]:;@\\,\\"), or an empty, leading or trailing dot',
    );
  }
  if (!DOT_ATOM_TEXT.test(right) && !NO_FOLD_LITERAL.test(right)) {
    fail(
      "the part after the '@' is neither a domain-like dot-atom nor a [literal] (bad character, or an empty, leading or trailing dot)",
    );
  }
  return canonical;
}

/**
 * Gathers message ids from arguments, a file and stdin (text, or a stream such as process.stdin), in that order:
 * one per line, blank lines and comments ignored (see isCommentLine), each validated (the error
 * says which argument or line), duplicates removed keeping the first occurrence. Throws MessageIdError when no id
 * is left.
 */
export async function readMessageIds(
  args: readonly string[],
  file?: string,
  stdin?: string | AsyncIterable<string | Uint8Array>,
): Promise<string[]> {
  const ids: string[] = [];
  const seen = new Set<string>();
  const add = (raw: string, where: string): void => {
    const id = parseMessageId(raw, where);
    if (seen.has(id)) return;
    seen.add(id);
    ids.push(id);
  };
  args.forEach((arg, index) => {
    add(arg, `argument ${index + 1}`);
  });
  if (file !== undefined) {
    const text = await readFile(file, 'utf8');
    forEachIdLine(text, (line, number) => add(line, `line ${number} of ${file}`));
  }
  if (stdin !== undefined) {
    const text = typeof stdin === 'string' ? stdin : await readAll(stdin);
    forEachIdLine(text, (line, number) => add(line, `line ${number} of stdin`));
  }
  if (ids.length === 0) {
    throw new MessageIdError('', 'no message id was given (arguments, file and stdin held none)');
  }
  return ids;
}

/**
 * A comment is '#' followed by a space, a tab or the end of the line. '#' is an atext character, so an id written
 * without brackets may itself start with it ('#a1@example.com'): such a line is an id, not a comment.
 */
export function isCommentLine(trimmed: string): boolean {
  return /^#(\s|$)/.test(trimmed);
}

/** Calls `each` for every line that is neither blank nor a comment, with its 1-based line number. */
export function forEachIdLine(text: string, each: (line: string, lineNumber: number) => void): void {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === '' || isCommentLine(trimmed)) return;
    each(trimmed, index + 1);
  });
}

async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
