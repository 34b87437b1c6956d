// $filter and $search for /users: which operators the directory serves by default, which only as advanced
// queries, and the predicates they compile to.
import type { SimUser } from '../model.ts';
import { type FilterExpr, type Literal, someNode } from './odata.ts';

/** A query the directory refuses; answered with HTTP 400 and this code. */
export class UnsupportedQuery extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Properties $filter may use, with the value they compare against. */
const FILTERABLE: Record<string, (u: SimUser) => string | boolean | null> = {
  mail: (u) => u.mail,
  userprincipalname: (u) => u.userPrincipalName,
  displayname: (u) => u.displayName,
  usertype: (u) => u.userType,
  accountenabled: (u) => u.accountEnabled,
  id: (u) => u.id,
};

function unsupportedProperty(property: string): UnsupportedQuery {
  return new UnsupportedQuery(
    'Request_UnsupportedQuery',
    `Unsupported or invalid query filter clause specified for property '${property}' of resource 'User'.`,
  );
}

function literalValue(literal: Literal): string | boolean | null | undefined {
  if (literal.type === 'string') return literal.value;
  if (literal.type === 'boolean') return literal.value;
  if (literal.type === 'null') return null;
  return undefined;
}

function equalsValue(actual: string | boolean | null, expected: string | boolean | null): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    return actual.toLowerCase() === expected.toLowerCase();
  }
  return actual === expected;
}

/** Compiles a filter tree into a predicate; throws UnsupportedQuery for what the directory does not index. */
export function compileUserFilter(expr: FilterExpr): (user: SimUser) => boolean {
  switch (expr.kind) {
    case 'and': {
      const left = compileUserFilter(expr.left);
      const right = compileUserFilter(expr.right);
      return (u) => left(u) && right(u);
    }
    case 'or': {
      const left = compileUserFilter(expr.left);
      const right = compileUserFilter(expr.right);
      return (u) => left(u) || right(u);
    }
    case 'not': {
      const operand = compileUserFilter(expr.operand);
      return (u) => !operand(u);
    }
    case 'compare': {
      const get = FILTERABLE[expr.property.toLowerCase()];
      const expected = literalValue(expr.value);
      if (!get || expected === undefined || (expr.op !== 'eq' && expr.op !== 'ne')) {
        throw unsupportedProperty(expr.property);
      }
      return expr.op === 'eq' ? (u) => equalsValue(get(u), expected) : (u) => !equalsValue(get(u), expected);
    }
    case 'lambda':
      return compileLambda(expr);
    case 'call': {
      const get = FILTERABLE[expr.property.toLowerCase()];
      if (!get || expr.value.type !== 'string' || (expr.name !== 'startswith' && expr.name !== 'endswith')) {
        throw unsupportedProperty(expr.property);
      }
      const needle = expr.value.value.toLowerCase();
      const starts = expr.name === 'startswith';
      return (u) => {
        const value = get(u);
        if (typeof value !== 'string') return false;
        const lower = value.toLowerCase();
        return starts ? lower.startsWith(needle) : lower.endsWith(needle);
      };
    }
  }
}

/** Multi-valued properties a lambda may range over. */
const COLLECTIONS: Record<string, (u: SimUser) => readonly string[]> = {
  proxyaddresses: proxyAddressesOf,
};

/**
 * `proxyAddresses/any(p:p eq 'smtp:x')` and `any(p:startswith(p, 'smtp:'))`: matched case-insensitively, so
 * `smtp:` finds the primary `SMTP:` address too (documented: user resource, proxyAddresses; advanced queries).
 */
function compileLambda(expr: Extract<FilterExpr, { kind: 'lambda' }>): (user: SimUser) => boolean {
  const collection = COLLECTIONS[expr.collection.toLowerCase()];
  const body = expr.body;
  const onVariable =
    (body.kind === 'compare' || body.kind === 'call') && body.property.toLowerCase() === expr.variable.toLowerCase();
  if (!collection || !onVariable || body.value.type !== 'string') throw unsupportedProperty(expr.collection);
  const needle = body.value.value.toLowerCase();
  let test: (value: string) => boolean;
  if (body.kind === 'compare' && body.op === 'eq') test = (value) => value.toLowerCase() === needle;
  else if (body.kind === 'call' && body.name === 'startswith') test = (value) => value.toLowerCase().startsWith(needle);
  else throw unsupportedProperty(expr.collection);
  return expr.quantifier === 'any'
    ? (u) => collection(u).some(test)
    : (u) => collection(u).every(test);
}

/** Primary address as `SMTP:`, secondary ones (aliases) as `smtp:`, as Exchange writes them. */
export function proxyAddressesOf(user: SimUser): string[] {
  if (!user.mail) return [];
  return [`SMTP:${user.mail}`, ...(user.aliases ?? []).map((alias) => `smtp:${alias}`)];
}

/** The first operator of the filter that only advanced queries support, if any. */
export function advancedOperator(expr: FilterExpr): string | undefined {
  let found: string | undefined;
  someNode(expr, (node) => {
    if (node.kind === 'not') found = 'not';
    else if (node.kind === 'compare' && node.op === 'ne') found = 'ne';
    else if (node.kind === 'call' && node.name === 'endswith') found = 'endsWith';
    // Lambdas on proxyAddresses as advanced queries: graph-reference.md §7 (the service may also serve eq by
    // default; demanding the parameters is the safe side for a client, which sends them anyway).
    else if (node.kind === 'lambda') found = node.quantifier;
    return found !== undefined;
  });
  return found;
}

export function searchPredicate(raw: string): (user: SimUser) => boolean {
  // $search="displayName:adele" (quotes required); tokens match at word starts, case-insensitively.
  const match = /^"([A-Za-z]+):([^"]*)"$/.exec(raw.trim());
  const property = match ? FILTERABLE[(match[1] as string).toLowerCase()] : undefined;
  if (!match || !property) {
    throw new UnsupportedQuery('Request_UnsupportedQuery', `Invalid $search query '${raw}'.`);
  }
  const needle = (match[2] as string).toLowerCase();
  return (u) => {
    const value = property(u);
    return (
      typeof value === 'string' &&
      value
        .toLowerCase()
        .split(/[\s.@_-]+/)
        .some((w) => w.startsWith(needle))
    );
  };
}
