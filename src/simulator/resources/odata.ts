// Server-side OData pieces shared by every resource: query-string decoding as a web server does it, path
// segment decoding, and a real $filter parser. The parser is deliberately a proper tokenizer + recursive
// descent, so that a client's quoting mistakes (an unescaped quote, an unencoded '+') fail or match nothing
// exactly as they would against Graph, instead of being "helpfully" repaired.

/** Bad query syntax; resources turn it into a 400 with their own error code. */
export class ODataSyntaxError extends Error {
  override name = 'ODataSyntaxError';
}

/**
 * Decodes a raw query string with form-urlencoded semantics: split on '&', then '+' is a space and %XX a byte.
 * An option given twice is an error, as in Graph.
 */
export function parseQuery(rawQuery: string): Map<string, string> {
  const options = new Map<string, string>();
  if (rawQuery === '') return options;
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeFormComponent(pair.slice(eq + 1));
    if (options.has(name)) {
      throw new ODataSyntaxError(
        `Query option '${name}' was specified more than once, but it must be specified at most once.`,
      );
    }
    options.set(name, value);
  }
  return options;
}

function decodeFormComponent(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw new ODataSyntaxError(`The query string contains an invalid percent-encoding: '${text}'.`);
  }
}

/**
 * Splits a still-encoded path into decoded segments. OData key syntax `name('key')` becomes two segments, so
 * `/users('a@b')/mailFolders('inbox')` and `/users/a@b/mailFolders/inbox` route alike. In a path '+' is literal.
 */
export function pathSegments(path: string): string[] {
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw new ODataSyntaxError(`The path segment '${raw}' contains an invalid percent-encoding.`);
    }
    const keyed = /^([A-Za-z]+)\('((?:[^']|'')*)'\)$/.exec(decoded);
    if (keyed?.[1] && keyed[2] !== undefined && !/^getDetailsByRecipient$/i.test(keyed[1])) {
      segments.push(keyed[1], keyed[2].replaceAll("''", "'"));
    } else {
      segments.push(decoded);
    }
  }
  return segments;
}

// ---- $filter ----

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'null' }
  | { type: 'boolean'; value: boolean }
  | { type: 'number'; text: string }
  /** Unquoted date-time, kept as written so that resources can insist on a format. */
  | { type: 'datetime'; text: string };

export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; operand: FilterExpr }
  | { kind: 'compare'; op: ComparisonOperator; property: string; value: Literal }
  /** contains / startswith / endswith (name lower-cased), as `name(property, literal)`. */
  | { kind: 'call'; name: string; property: string; value: Literal }
  /** A lambda over a collection property: `collection/any(v:body)`, where the body compares `v` itself. */
  | { kind: 'lambda'; quantifier: 'any' | 'all'; collection: string; variable: string; body: FilterExpr };

type Token =
  | { t: 'lparen' | 'rparen' | 'comma' | 'colon'; pos: number }
  | { t: 'string'; value: string; pos: number }
  | { t: 'word'; value: string; pos: number }
  | { t: 'scalar'; value: string; pos: number };

const COMPARISONS = new Set<string>(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === ' ' || ch === '\t') {
      i++;
    } else if (ch === '(' || ch === ')' || ch === ',' || ch === ':') {
      tokens.push({ t: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : ch === ',' ? 'comma' : 'colon', pos: i });
      i++;
    } else if (ch === "'") {
      // A quote inside a literal is written as two quotes; a lone quote ends the literal.
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ODataSyntaxError(`Unterminated string literal at position ${start}.`);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push({ t: 'string', value, pos: start });
    } else if (/[A-Za-z_$]/.test(ch)) {
      const match = /^[A-Za-z_$][A-Za-z0-9_$/.]*/.exec(text.slice(i)) as RegExpExecArray;
      tokens.push({ t: 'word', value: match[0], pos: i });
      i += match[0].length;
    } else if (/[0-9-]/.test(ch)) {
      const match = /^-?[0-9][0-9A-Za-z:.+-]*/.exec(text.slice(i));
      if (!match) throw new ODataSyntaxError(`Syntax error at position ${i}.`);
      tokens.push({ t: 'scalar', value: match[0], pos: i });
      i += match[0].length;
    } else {
      throw new ODataSyntaxError(`Syntax error: character '${ch}' is not valid at position ${i}.`);
    }
  }
  return tokens;
}

/** Parses a decoded $filter value into an expression tree; throws ODataSyntaxError on any syntax error. */
export function parseFilter(text: string): FilterExpr {
  const tokens = tokenize(text);
  let at = 0;
  const peek = (): Token | undefined => tokens[at];
  const isWord = (token: Token | undefined, word: string): boolean =>
    token?.t === 'word' && token.value.toLowerCase() === word;
  const fail = (what: string): never => {
    const token = peek();
    throw new ODataSyntaxError(
      token ? `Syntax error: ${what} at position ${token.pos}.` : `Syntax error: ${what} at the end.`,
    );
  };

  const parseLiteral = (): Literal => {
    const token = peek();
    if (token?.t === 'string') {
      at++;
      return { type: 'string', value: token.value };
    }
    if (token?.t === 'scalar') {
      at++;
      return /^-?\d+(\.\d+)?$/.test(token.value)
        ? { type: 'number', text: token.value }
        : { type: 'datetime', text: token.value };
    }
    if (token?.t === 'word') {
      const word = token.value.toLowerCase();
      if (word === 'null' || word === 'true' || word === 'false') {
        at++;
        return word === 'null' ? { type: 'null' } : { type: 'boolean', value: word === 'true' };
      }
    }
    return fail('expected a literal');
  };

  const parsePrimary = (): FilterExpr => {
    const token = peek();
    if (token?.t === 'lparen') {
      at++;
      const inner = parseOr();
      if (peek()?.t !== 'rparen') fail("expected ')'");
      at++;
      return inner;
    }
    if (isWord(token, 'not')) {
      at++;
      return { kind: 'not', operand: parsePrimary() };
    }
    if (token?.t !== 'word') return fail('expected a property or a function');
    at++;
    const lambda = /^(.+)\/(any|all)$/i.exec(token.value);
    if (lambda && peek()?.t === 'lparen') {
      at++;
      const variable = peek();
      if (variable?.t !== 'word') fail('expected a lambda variable');
      at++;
      if (peek()?.t !== 'colon') fail("expected ':'");
      at++;
      const body = parseOr();
      if (peek()?.t !== 'rparen') fail("expected ')'");
      at++;
      return {
        kind: 'lambda',
        quantifier: (lambda[2] as string).toLowerCase() as 'any' | 'all',
        collection: lambda[1] as string,
        variable: (variable as { value: string }).value,
        body,
      };
    }
    if (peek()?.t === 'lparen') {
      const name = token.value.toLowerCase();
      at++;
      const property = peek();
      if (property?.t !== 'word') fail('expected a property name');
      at++;
      if (peek()?.t !== 'comma') fail("expected ','");
      at++;
      const value = parseLiteral();
      if (peek()?.t !== 'rparen') fail("expected ')'");
      at++;
      return { kind: 'call', name, property: (property as { value: string }).value, value };
    }
    const op = peek();
    if (op?.t !== 'word' || !COMPARISONS.has(op.value.toLowerCase())) return fail('expected an operator');
    at++;
    return {
      kind: 'compare',
      op: op.value.toLowerCase() as ComparisonOperator,
      property: token.value,
      value: parseLiteral(),
    };
  };

  const parseAnd = (): FilterExpr => {
    let left = parsePrimary();
    while (isWord(peek(), 'and')) {
      at++;
      left = { kind: 'and', left, right: parsePrimary() };
    }
    return left;
  };

  function parseOr(): FilterExpr {
    let left = parseAnd();
    while (isWord(peek(), 'or')) {
      at++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  }

  if (tokens.length === 0) throw new ODataSyntaxError('The $filter expression is empty.');
  const expr = parseOr();
  if (at < tokens.length) fail('unexpected text after the expression');
  return expr;
}

/** Flattens nested `and` nodes into their operands (an `or` or `not` stays one operand). */
export function conjuncts(expr: FilterExpr): FilterExpr[] {
  return expr.kind === 'and' ? [...conjuncts(expr.left), ...conjuncts(expr.right)] : [expr];
}

/** True when any node of the tree satisfies `test`. */
export function someNode(expr: FilterExpr, test: (node: FilterExpr) => boolean): boolean {
  if (test(expr)) return true;
  if (expr.kind === 'and' || expr.kind === 'or')
    return someNode(expr.left, test) || someNode(expr.right, test);
  if (expr.kind === 'not') return someNode(expr.operand, test);
  if (expr.kind === 'lambda') return someNode(expr.body, test);
  return false;
}

/** Parses `$top`; undefined when absent, NaN when not a plain integer (callers answer with their own error). */
export function parseTop(options: Map<string, string>): number | undefined {
  const raw = options.get('$top');
  if (raw === undefined) return undefined;
  return /^\s*\d+\s*$/.test(raw) ? Number(raw.trim()) : Number.NaN;
}

/**
 * The names of a `$select`, as Graph reads them: comma-separated, matched case-insensitively and returned in their
 * canonical spelling, each once. An unknown name is the resource's own error (`unknown` builds it).
 */
export function selectedNames(
  raw: string,
  canonicalNames: ReadonlyMap<string, string>,
  unknown: (name: string) => Error,
): string[] {
  const names: string[] = [];
  for (const part of raw.split(',')) {
    const name = part.trim();
    if (name === '') continue;
    const canonical = canonicalNames.get(name.toLowerCase());
    if (!canonical) throw unknown(name);
    if (!names.includes(canonical)) names.push(canonical);
  }
  return names;
}
