// GET /users and GET /users/{id|userPrincipalName}: the directory side of Graph, with its split between
// default queries and "advanced queries" (ConsistencyLevel: eventual + $count=true).
import { graphError, type SimRequest, type SimResponse } from '../http-types.ts';
import type { SimUser } from '../model.ts';
import { resolveUser, type TenantIndex } from './indexes.ts';
import { type FilterExpr, ODataSyntaxError, parseFilter, parseTop, selectedNames } from './odata.ts';
import {
  advancedOperator,
  compileUserFilter,
  proxyAddressesOf,
  searchPredicate,
  UnsupportedQuery,
} from './users-filter.ts';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;

type UserProperty = (user: SimUser) => unknown;

function nameParts(user: SimUser): { given: string | null; surname: string | null } {
  const space = user.displayName.indexOf(' ');
  if (space === -1) return { given: null, surname: null };
  return { given: user.displayName.slice(0, space), surname: user.displayName.slice(space + 1) };
}

/** Selectable properties (canonical casing) and how each is derived from the simulated user. */
const USER_PROPERTIES: Record<string, UserProperty> = {
  businessPhones: () => [],
  displayName: (u) => u.displayName,
  givenName: (u) => nameParts(u).given,
  jobTitle: () => null,
  mail: (u) => u.mail,
  mobilePhone: () => null,
  officeLocation: () => null,
  preferredLanguage: () => null,
  surname: (u) => nameParts(u).surname,
  userPrincipalName: (u) => u.userPrincipalName,
  id: (u) => u.id,
  userType: (u) => u.userType,
  accountEnabled: (u) => u.accountEnabled,
  mailNickname: (u) => (u.mail ?? u.userPrincipalName).split('@')[0] ?? '',
  otherMails: () => [],
  proxyAddresses: proxyAddressesOf,
};
const DEFAULT_USER_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const CANONICAL_NAMES = new Map(Object.keys(USER_PROPERTIES).map((name) => [name.toLowerCase(), name]));

function parseSelect(raw: string | undefined): string[] {
  if (raw === undefined) return DEFAULT_USER_PROPERTIES;
  const names = selectedNames(
    raw,
    CANONICAL_NAMES,
    (name) =>
      new UnsupportedQuery(
        'Request_BadRequest',
        `Could not find a property named '${name}' on type 'microsoft.graph.user'.`,
      ),
  );
  return names.length > 0 ? names : DEFAULT_USER_PROPERTIES;
}

export function shapeUser(user: SimUser, properties: readonly string[]): Record<string, unknown> {
  const shaped: Record<string, unknown> = {};
  for (const name of properties) shaped[name] = (USER_PROPERTIES[name] as UserProperty)(user);
  return shaped;
}

interface UsersSkipToken {
  offset: number;
}

function encodeSkipToken(token: UsersSkipToken): string {
  return Buffer.from(JSON.stringify({ v: 1, o: token.offset })).toString('base64url');
}

function decodeSkipToken(raw: string): UsersSkipToken | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { v?: unknown; o?: unknown };
    if (parsed.v === 1 && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) {
      return { offset: parsed.o };
    }
  } catch {
    // falls through to undefined
  }
  return undefined;
}

export function listUsers(req: SimRequest, index: TenantIndex, options: Map<string, string>): SimResponse {
  try {
    const top = parseTop(options) ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
      return graphError(
        req,
        400,
        'Request_UnsupportedQuery',
        `Invalid page size specified: '${options.get('$top') ?? ''}'. Must be between 1 and 999 inclusive.`,
      );
    }
    const selected = parseSelect(options.get('$select'));
    const eventual = (req.headers.consistencylevel ?? '').trim().toLowerCase() === 'eventual';
    const countRequested = (options.get('$count') ?? '').toLowerCase() === 'true';

    let predicate: (user: SimUser) => boolean = () => true;
    const rawFilter = options.get('$filter');
    if (rawFilter !== undefined) {
      let expr: FilterExpr;
      try {
        expr = parseFilter(rawFilter);
      } catch (error) {
        if (!(error instanceof ODataSyntaxError)) throw error;
        return graphError(req, 400, 'BadRequest', `Invalid filter clause: ${error.message}`);
      }
      const advanced = advancedOperator(expr);
      if (advanced && !(eventual && countRequested)) {
        return graphError(
          req,
          400,
          'Request_UnsupportedQuery',
          `Operator '${advanced}' is not supported because the required parameters might be missing. Try adding ` +
            '$count=true query parameter and ConsistencyLevel:eventual header. Refer to ' +
            'https://aka.ms/graph-docs/advanced-queries for more information',
        );
      }
      predicate = compileUserFilter(expr);
    }
    const rawSearch = options.get('$search');
    if (rawSearch !== undefined) {
      if (!eventual) {
        return graphError(
          req,
          400,
          'Request_UnsupportedQuery',
          "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
        );
      }
      const filterPredicate = predicate;
      const search = searchPredicate(rawSearch);
      predicate = (u) => filterPredicate(u) && search(u);
    }

    let offset = 0;
    const rawSkipToken = options.get('$skiptoken');
    if (rawSkipToken !== undefined) {
      const token = decodeSkipToken(rawSkipToken);
      if (!token) return graphError(req, 400, 'Request_BadRequest', 'Invalid skip token.');
      offset = token.offset;
    }

    const matching = index.tenant.users.filter(predicate);
    const page = matching.slice(offset, offset + top);
    const body: Record<string, unknown> = {
      '@odata.context': `${req.baseUrl}/$metadata#users${options.has('$select') ? `(${selected.join(',')})` : ''}`,
    };
    // Without ConsistencyLevel the directory silently ignores $count=true (documented behaviour).
    if (countRequested && eventual && rawSkipToken === undefined) body['@odata.count'] = matching.length;
    if (offset + top < matching.length) {
      const kept = [...options].filter(([name]) => name !== '$skiptoken');
      kept.push(['$skiptoken', encodeSkipToken({ offset: offset + top })]);
      body['@odata.nextLink'] =
        `${req.baseUrl}/users?` + kept.map(([name, value]) => `${name}=${encodeQueryValue(value)}`).join('&');
    }
    body.value = page.map((user) => shapeUser(user, selected));
    return { status: 200, body };
  } catch (error) {
    if (error instanceof UnsupportedQuery) return graphError(req, 400, error.code, error.message);
    throw error;
  }
}

/** Directory nextLinks keep '$' and common punctuation readable, as Graph's do; everything else is encoded. */
function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%24/g, '$').replace(/%2C/gi, ',');
}

export function getUser(
  req: SimRequest,
  index: TenantIndex,
  idOrUpn: string,
  options: Map<string, string>,
): SimResponse {
  const user = resolveUser(index, idOrUpn);
  if (!user) {
    return graphError(
      req,
      404,
      'Request_ResourceNotFound',
      `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`,
    );
  }
  try {
    const selected = parseSelect(options.get('$select'));
    return {
      status: 200,
      body: {
        '@odata.context': `${req.baseUrl}/$metadata#users${options.has('$select') ? `(${selected.join(',')})` : ''}/$entity`,
        ...shapeUser(user, selected),
      },
    };
  } catch (error) {
    if (error instanceof UnsupportedQuery) return graphError(req, 400, error.code, error.message);
    throw error;
  }
}
