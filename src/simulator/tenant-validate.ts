// Validation of a tenant read from a file: people edit these by hand, so every problem is reported with the
// path of the offending field (users[3].mail: expected string or null, got number).
import {
  type SimTraceRow,
  type SimUser,
  TENANT_SCHEMA_VERSION,
  type Tenant,
  WELL_KNOWN_FOLDERS,
} from './model.ts';

/** A tenant file that cannot be used: says which file, which field (e.g. "users[3].mail") and what is wrong. */
export class TenantFileError extends Error {
  override name = 'TenantFileError';
  readonly problem: string;
  readonly field: string | undefined;
  readonly file: string | undefined;
  constructor(problem: string, field?: string, file?: string) {
    super([file, field, problem].filter((part) => part !== undefined).join(': '));
    this.problem = problem;
    this.field = field;
    this.file = file;
  }
}

type Json = Record<string, unknown>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const USER_TYPES = new Set(['Member', 'Guest']);
const MAILBOX_STATES = new Set(['exchangeOnline', 'none', 'onPremises', 'softDeleted']);
const MAILBOX_KINDS = new Set(['user', 'shared', 'room', 'equipment']);
const DIRECTIONS = new Set(['inbound', 'outbound', 'internal']);
const STATUSES = new Set([
  'gettingStatus',
  'pending',
  'failed',
  'delivered',
  'expanded',
  'quarantined',
  'filteredAsSpam',
  'recalled',
]);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}

/** "users[3]" + "mail" -> "users[3].mail"; top-level fields have no prefix. */
function join(at: string, key: string): string {
  return at === '' ? key : `${at}.${key}`;
}

function fail(field: string, expected: string, value: unknown): never {
  throw new TenantFileError(`expected ${expected}, got ${describe(value)}`, field);
}

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'an object', value);
  return value as Json;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) fail(field, 'an array', value);
  return value;
}

function string(o: Json, key: string, at: string): string {
  const value = o[key];
  if (typeof value !== 'string') fail(join(at, key), 'string', value);
  return value;
}

function boolean(o: Json, key: string, at: string): void {
  if (typeof o[key] !== 'boolean') fail(join(at, key), 'boolean', o[key]);
}

function oneOf(o: Json, key: string, at: string, allowed: ReadonlySet<string>): string {
  const value = o[key];
  if (typeof value !== 'string' || !allowed.has(value))
    fail(join(at, key), `one of ${[...allowed].join(', ')}`, value);
  return value;
}

function guid(o: Json, key: string, at: string): string {
  const value = o[key];
  if (typeof value !== 'string' || !GUID.test(value)) fail(join(at, key), 'a GUID', value);
  return value;
}

function instant(o: Json, key: string, at: string): string {
  const value = o[key];
  if (typeof value !== 'string' || !UTC_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    fail(join(at, key), 'an RFC 3339 UTC timestamp like 2026-01-15T09:00:00Z', value);
  }
  return value;
}

function strings(o: Json, key: string, at: string): string[] {
  const list = array(o[key], join(at, key));
  list.forEach((item, i) => {
    if (typeof item !== 'string') fail(`${at}.${key}[${i}]`, 'string', item);
  });
  return list as string[];
}

function recipient(value: unknown, at: string): void {
  const o = object(value, at);
  string(o, 'name', at);
  string(o, 'address', at);
}

/** Elements of a top-level array, each checked by `check` with its path (e.g. "users[3]"). */
function each(root: Json, key: string, check: (item: Json, at: string) => void): void {
  const list = array(root[key], key);
  for (let i = 0; i < list.length; i++) {
    const at = `${key}[${i}]`;
    check(object(list[i], at), at);
  }
}

function checkApps(root: Json): void {
  const clientIds = new Set<string>();
  each(root, 'apps', (app, at) => {
    const clientId = guid(app, 'clientId', at);
    if (clientIds.has(clientId))
      throw new TenantFileError(`duplicate clientId ${clientId}`, `${at}.clientId`);
    clientIds.add(clientId);
    string(app, 'displayName', at);
    strings(app, 'roles', at);
    array(app.secrets, `${at}.secrets`).forEach((value, i) => {
      const secretAt = `${at}.secrets[${i}]`;
      const secret = object(value, secretAt);
      string(secret, 'id', secretAt);
      // Never echo a secret, even a malformed one.
      if (typeof secret.value !== 'string') throw new TenantFileError('expected string', `${secretAt}.value`);
      instant(secret, 'expiresAt', secretAt);
    });
    array(app.certificates, `${at}.certificates`).forEach((value, i) => {
      const certAt = `${at}.certificates[${i}]`;
      const certificate = object(value, certAt);
      string(certificate, 'certificatePem', certAt);
      instant(certificate, 'expiresAt', certAt);
    });
  });
}

function checkUsers(root: Json): Map<string, SimUser> {
  const byId = new Map<string, SimUser>();
  const upns = new Set<string>();
  each(root, 'users', (user, at) => {
    const id = string(user, 'id', at);
    if (byId.has(id)) throw new TenantFileError(`duplicate user id ${id}`, `${at}.id`);
    const upn = string(user, 'userPrincipalName', at).toLowerCase();
    if (upns.has(upn))
      throw new TenantFileError(`duplicate userPrincipalName ${upn}`, `${at}.userPrincipalName`);
    upns.add(upn);
    string(user, 'displayName', at);
    if (user.mail !== null && typeof user.mail !== 'string') fail(`${at}.mail`, 'string or null', user.mail);
    oneOf(user, 'userType', at, USER_TYPES);
    boolean(user, 'accountEnabled', at);
    const mailbox = oneOf(user, 'mailbox', at, MAILBOX_STATES);
    if (user.mailboxKind !== undefined || mailbox === 'exchangeOnline')
      oneOf(user, 'mailboxKind', at, MAILBOX_KINDS);
    boolean(user, 'excludedByAccessPolicy', at);
    if (user.unresolvable !== undefined) boolean(user, 'unresolvable', at);
    if (
      user.aliases !== undefined &&
      (!Array.isArray(user.aliases) || user.aliases.some((a) => typeof a !== 'string' || !a.includes('@')))
    )
      fail(`${at}.aliases`, 'an array of email addresses', user.aliases);
    byId.set(id, user as unknown as SimUser);
  });
  return byId;
}

function exchangeOnlineUser(users: Map<string, SimUser>, o: Json, at: string): string {
  const id = string(o, 'mailboxUserId', at);
  const user = users.get(id);
  if (!user) throw new TenantFileError(`no user with id ${id}`, `${at}.mailboxUserId`);
  if (user.mailbox !== 'exchangeOnline') {
    throw new TenantFileError(
      `user ${user.userPrincipalName} has no Exchange Online mailbox`,
      `${at}.mailboxUserId`,
    );
  }
  return id;
}

function checkGroups(root: Json, users: Map<string, SimUser>): void {
  const ids = new Set<string>();
  each(root, 'groups', (group, at) => {
    const id = string(group, 'id', at);
    if (ids.has(id) || users.has(id))
      throw new TenantFileError(`duplicate directory object id ${id}`, `${at}.id`);
    ids.add(id);
    string(group, 'displayName', at);
    string(group, 'mail', at);
    strings(group, 'memberIds', at).forEach((memberId, i) => {
      if (!users.has(memberId))
        throw new TenantFileError(`no user with id ${memberId}`, `${at}.memberIds[${i}]`);
    });
  });
}

/** Returns "mailboxUserId/folderId" keys of every custom folder. */
function checkCustomFolders(root: Json, users: Map<string, SimUser>): Set<string> {
  const keys = new Set<string>();
  const ids = new Set<string>();
  const parents: [string, string, string][] = [];
  each(root, 'customFolders', (folder, at) => {
    const mailboxUserId = exchangeOnlineUser(users, folder, at);
    const id = string(folder, 'id', at);
    if (ids.has(id)) throw new TenantFileError(`duplicate folder id ${id}`, `${at}.id`);
    ids.add(id);
    keys.add(`${mailboxUserId}/${id}`);
    string(folder, 'displayName', at);
    parents.push([mailboxUserId, string(folder, 'parentFolder', at), `${at}.parentFolder`]);
  });
  for (const [mailboxUserId, parent, at] of parents) {
    if (!(parent in WELL_KNOWN_FOLDERS) && !keys.has(`${mailboxUserId}/${parent}`)) {
      throw new TenantFileError(
        `${parent} is neither a well-known folder nor a custom folder of that mailbox`,
        at,
      );
    }
  }
  return keys;
}

function checkTraces(root: Json): void {
  // Trace id -> its recipients; most messages have one, so no Set until a second recipient shows up.
  const recipientsById = new Map<string, string | Set<string>>();
  each(root, 'traces', (row, at) => {
    const id = string(row, 'id', at);
    string(row, 'messageId', at);
    string(row, 'senderAddress', at);
    const recipientAddress = string(row, 'recipientAddress', at);
    const recipient = recipientAddress.toLowerCase();
    const seen = recipientsById.get(id);
    if (seen === recipient || (typeof seen === 'object' && seen.has(recipient))) {
      throw new TenantFileError(`duplicate row for trace id ${id} and recipient ${recipientAddress}`, at);
    }
    if (seen === undefined) recipientsById.set(id, recipient);
    else if (typeof seen === 'string') recipientsById.set(id, new Set([seen, recipient]));
    else seen.add(recipient);
    instant(row, 'receivedDateTime', at);
    string(row, 'subject', at);
    if (!Number.isInteger(row.size) || (row.size as number) < 0)
      fail(`${at}.size`, 'a non-negative integer', row.size);
    string(row, 'fromIP', at);
    string(row, 'toIP', at);
    instant(row, 'visibleFrom', at);
    oneOf(row, 'direction', at, DIRECTIONS);
    const steps = array(row.statusTimeline, `${at}.statusTimeline`);
    if (steps.length === 0)
      throw new TenantFileError('expected at least one status step', `${at}.statusTimeline`);
    let previous = '';
    steps.forEach((value, i) => {
      const stepAt = `${at}.statusTimeline[${i}]`;
      const step = object(value, stepAt);
      oneOf(step, 'status', stepAt, STATUSES);
      const from = instant(step, 'from', stepAt);
      if (from < previous) throw new TenantFileError('steps must be in time order', `${stepAt}.from`);
      previous = from;
    });
  });
}

function checkCopies(root: Json, users: Map<string, SimUser>, folderKeys: Set<string>): void {
  const graphIds = new Set<string>();
  each(root, 'copies', (copy, at) => {
    const mailboxUserId = exchangeOnlineUser(users, copy, at);
    const graphId = string(copy, 'graphId', at);
    // Graph message ids encode their mailbox, so they are unique across the tenant.
    if (graphIds.has(graphId)) throw new TenantFileError(`duplicate graphId ${graphId}`, `${at}.graphId`);
    graphIds.add(graphId);
    string(copy, 'internetMessageId', at);
    const folder = string(copy, 'folder', at);
    if (!(folder in WELL_KNOWN_FOLDERS) && !folderKeys.has(`${mailboxUserId}/${folder}`)) {
      throw new TenantFileError(
        `${folder} is neither a well-known folder nor a custom folder of that mailbox`,
        `${at}.folder`,
      );
    }
    string(copy, 'subject', at);
    recipient(copy.from, `${at}.from`);
    recipient(copy.sender, `${at}.sender`);
    array(copy.toRecipients, `${at}.toRecipients`).forEach((value, i) => {
      recipient(value, `${at}.toRecipients[${i}]`);
    });
    instant(copy, 'receivedDateTime', at);
    boolean(copy, 'isRead', at);
    boolean(copy, 'hasAttachments', at);
  });
}

function checkCampaign(root: Json): void {
  if (root.campaign === null) return;
  const campaign = object(root.campaign, 'campaign');
  string(campaign, 'internetMessageId', 'campaign');
  string(campaign, 'subject', 'campaign');
  string(campaign, 'senderAddress', 'campaign');
  instant(campaign, 'receivedDateTime', 'campaign');
  strings(campaign, 'recipientAddresses', 'campaign');
}

/** Checks a parsed tenant file and returns it as a Tenant, or throws TenantFileError naming the field. */
export function validateTenant(value: unknown): Tenant {
  const root = object(value, '(root)');
  if (root.schemaVersion !== TENANT_SCHEMA_VERSION) {
    throw new TenantFileError(
      root.schemaVersion === undefined
        ? `missing (expected ${TENANT_SCHEMA_VERSION})`
        : `unsupported version ${describe(root.schemaVersion)}; this mailtrace reads version ${TENANT_SCHEMA_VERSION}`,
      'schemaVersion',
    );
  }
  if (!Number.isInteger(root.seed)) fail('seed', 'an integer', root.seed);
  if (typeof root.tenantId !== 'string' || !GUID.test(root.tenantId))
    fail('tenantId', 'a GUID', root.tenantId);
  if (typeof root.displayName !== 'string') fail('displayName', 'string', root.displayName);
  const domains = array(root.domains, 'domains');
  if (domains.length === 0) throw new TenantFileError('expected at least one domain', 'domains');
  domains.forEach((domain, i) => {
    if (typeof domain !== 'string') fail(`domains[${i}]`, 'string', domain);
  });
  instant(root, 'anchor', '');
  if (typeof root.messageTraceServicePrincipal !== 'boolean') {
    fail('messageTraceServicePrincipal', 'boolean', root.messageTraceServicePrincipal);
  }
  checkApps(root);
  const users = checkUsers(root);
  checkGroups(root, users);
  const folderKeys = checkCustomFolders(root, users);
  checkTraces(root);
  checkCopies(root, users, folderKeys);
  checkCampaign(root);
  const tenant = root as unknown as Tenant;
  sortByReceived(tenant.traces);
  return tenant;
}

/** The simulator pages rows by time; a hand-edited file may have appended rows out of order. */
function sortByReceived(traces: SimTraceRow[]): void {
  for (let i = 1; i < traces.length; i++) {
    if (traces[i]!.receivedDateTime < traces[i - 1]!.receivedDateTime) {
      traces.sort((a, b) =>
        a.receivedDateTime < b.receivedDateTime ? -1 : a.receivedDateTime > b.receivedDateTime ? 1 : 0,
      );
      return;
    }
  }
}
