// Tenant configuration: one tenant from environment variables, or many from a JSON config file. Validation
// names the offending key and says what to fix. Secrets are referenced (env var or file), never stored inline
// in the file: a config file is shared and committed far more often than anyone intends.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { envReferenceProblem } from '../core/env-reference.ts';
import { CLOUD_NAMES, type CloudName } from '../graph/clouds.ts';
import {
  type CollectorSettings,
  parseCollectorSection,
  parseSinksSection,
  type SinkConfig,
} from './collect-config.ts';
import { CliError, EXIT } from './errors.ts';

export type CredentialConfig =
  | { kind: 'secret'; secret: string; source: string }
  | { kind: 'certificate'; certificatePem: string; privateKeyPem: string; source: string };

export interface TenantConfig {
  name: string;
  tenantId: string;
  clientId: string;
  credential: CredentialConfig;
  cloud: CloudName;
  authorityHost?: string;
  graphEndpoint?: string;
  caFile?: string;
  /** Accepted domains, used to tell inbound from outbound mail; discovered when absent. */
  domains?: string[];
}

export interface MailtraceConfig {
  source: string;
  tenants: TenantConfig[];
  store?: string;
  /** `collector`: delay, trailingWindow, cycleInterval, since (see collect-config.ts). */
  collector?: CollectorSettings;
  /** `sinks`: where collected events go besides the store. */
  sinks?: SinkConfig[];
}

export class ConfigError extends CliError {
  constructor(where: string, problem: string, fix: string) {
    super(`${where}: ${problem}`, EXIT.config, fix);
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

type Raw = Record<string, unknown>;

/**
 * Config, secret, certificate and CA files are small. Anything bigger is the wrong path (a log, a disk image), and
 * reading it whole would stall the CLI before it says anything.
 */
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/**
 * Reads a small regular file as UTF-8, without its byte-order mark (Notepad writes one and JSON.parse refuses it).
 * Opened non-blocking and checked before reading: a FIFO would block on open until a writer came, and /dev/zero
 * never ends.
 */
function readText(path: string, where: string, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(where, `cannot read ${what} file '${path}' (${reason})`, `check the path and its permissions`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new ConfigError(
        where,
        `${what} file '${path}' is not a regular file`,
        `give the path of a ${what} file, not a directory, device or pipe`,
      );
    if (stat.size > MAX_CONFIG_FILE_BYTES)
      throw new ConfigError(
        where,
        `${what} file '${path}' is ${stat.size} bytes, more than ${MAX_CONFIG_FILE_BYTES} a ${what} file can be`,
        `check that the path names the ${what} file`,
      );
    // One byte beyond the cap tells a file that grew after fstat from one that fits.
    const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buffer.length; length += n)
      n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_CONFIG_FILE_BYTES)
      throw new ConfigError(where, `${what} file '${path}' grew past ${MAX_CONFIG_FILE_BYTES} bytes while read`, `check that the path names the ${what} file`);
    const text = buffer.subarray(0, length).toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(where, `cannot read ${what} file '${path}' (${reason})`, `check the path and its permissions`);
  } finally {
    closeSync(fd);
  }
}

function optionalString(raw: Raw, key: string, where: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw new ConfigError(
      `${where}.${key}`,
      'expected a non-empty string',
      `set ${key} to a string or remove it`,
    );
  return value.trim();
}

function requiredString(raw: Raw, key: string, where: string, hint: string): string {
  const value = optionalString(raw, key, where);
  if (value === undefined) throw new ConfigError(`${where}.${key}`, 'is missing', hint);
  return value;
}

function httpsUrl(value: string | undefined, where: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      where,
      `'${value}' is not a URL`,
      'give an https:// URL, e.g. https://graph.microsoft.com',
    );
  }
  if (url.protocol !== 'https:')
    throw new ConfigError(where, `'${value}' is not https`, 'tokens are only ever sent over https');
  return url.origin;
}

/** Validates one tenant entry; `baseDir` resolves relative file paths (relative to the config file). */
export function parseTenant(
  raw: unknown,
  where: string,
  baseDir: string,
  env: NodeJS.ProcessEnv,
): TenantConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(where, 'expected an object', 'each tenant is {"name", "tenantId", "clientId", …}');
  const entry = raw as Raw;
  const known = new Set([
    'name',
    'tenantId',
    'clientId',
    'clientSecretEnv',
    'clientSecretFile',
    'clientSecret',
    'certificateFile',
    'privateKeyFile',
    'cloud',
    'authorityHost',
    'graphEndpoint',
    'caFile',
    'domains',
  ]);
  for (const key of Object.keys(entry))
    if (!known.has(key))
      throw new ConfigError(`${where}.${key}`, 'unknown key', `valid keys: ${[...known].join(', ')}`);

  const name = requiredString(entry, 'name', where, 'give each tenant a short name, e.g. "contoso"');
  const tenantId = requiredString(
    entry,
    'tenantId',
    where,
    'the Directory (tenant) ID from the Entra admin center',
  );
  if (!GUID.test(tenantId) && !DOMAIN.test(tenantId))
    throw new ConfigError(
      `${where}.tenantId`,
      `'${tenantId}' is neither a GUID nor a domain`,
      'use the Directory (tenant) ID',
    );
  const clientId = requiredString(
    entry,
    'clientId',
    where,
    'the Application (client) ID of your app registration',
  );
  if (!GUID.test(clientId))
    throw new ConfigError(
      `${where}.clientId`,
      `'${clientId}' is not a GUID`,
      'use the Application (client) ID',
    );

  const cloud = optionalString(entry, 'cloud', where) ?? 'global';
  if (!(CLOUD_NAMES as readonly string[]).includes(cloud))
    throw new ConfigError(
      `${where}.cloud`,
      `unknown cloud '${cloud}'`,
      `use one of ${CLOUD_NAMES.join(', ')}`,
    );

  const file = (key: string) => {
    const value = optionalString(entry, key, where);
    return value === undefined ? undefined : isAbsolute(value) ? value : resolve(baseDir, value);
  };
  if (entry.clientSecret !== undefined)
    throw new ConfigError(
      `${where}.clientSecret`,
      'secrets are not accepted inline in a config file',
      'put the secret in an environment variable (clientSecretEnv) or a file readable only by you (clientSecretFile)',
    );
  const secretEnv = optionalString(entry, 'clientSecretEnv', where);
  const secretFile = file('clientSecretFile');
  const certificateFile = file('certificateFile');
  const privateKeyFile = file('privateKeyFile');
  const ways = [secretEnv, secretFile, certificateFile ?? privateKeyFile].filter(
    (v) => v !== undefined,
  ).length;
  if (ways !== 1)
    throw new ConfigError(
      where,
      ways === 0 ? 'no credential' : 'more than one credential',
      'set exactly one of clientSecretEnv, clientSecretFile, or certificateFile + privateKeyFile',
    );

  let credential: CredentialConfig;
  if (secretEnv !== undefined) {
    const misuse = envReferenceProblem('clientSecretEnv', secretEnv);
    if (misuse) throw new ConfigError(`${where}.clientSecretEnv`, misuse.problem, misuse.fix);
    const secret = env[secretEnv];
    if (!secret)
      throw new ConfigError(
        `${where}.clientSecretEnv`,
        `environment variable ${secretEnv} is not set`,
        `export ${secretEnv}=…`,
      );
    credential = { kind: 'secret', secret, source: `env ${secretEnv}` };
  } else if (secretFile !== undefined) {
    const secret = readText(secretFile, `${where}.clientSecretFile`, 'secret').trim();
    if (!secret)
      throw new ConfigError(
        `${where}.clientSecretFile`,
        `'${secretFile}' is empty`,
        'write the secret value into it',
      );
    credential = { kind: 'secret', secret, source: `file ${secretFile}` };
  } else {
    if (!certificateFile || !privateKeyFile)
      throw new ConfigError(
        where,
        'certificate auth needs both files',
        'set certificateFile and privateKeyFile (PEM)',
      );
    credential = {
      kind: 'certificate',
      certificatePem: readText(certificateFile, `${where}.certificateFile`, 'certificate'),
      privateKeyPem: readText(privateKeyFile, `${where}.privateKeyFile`, 'private key'),
      source: `file ${certificateFile}`,
    };
  }

  const domains = entry.domains;
  if (
    domains !== undefined &&
    (!Array.isArray(domains) || !domains.every((d) => typeof d === 'string' && DOMAIN.test(d)))
  )
    throw new ConfigError(`${where}.domains`, 'expected an array of domain names', 'e.g. ["contoso.com"]');

  const authorityHost = httpsUrl(optionalString(entry, 'authorityHost', where), `${where}.authorityHost`);
  const graphEndpoint = httpsUrl(optionalString(entry, 'graphEndpoint', where), `${where}.graphEndpoint`);
  const caFile = file('caFile');
  if (caFile !== undefined) readText(caFile, `${where}.caFile`, 'CA bundle');
  return {
    name,
    tenantId,
    clientId,
    credential,
    cloud: cloud as CloudName,
    ...(authorityHost ? { authorityHost } : {}),
    ...(graphEndpoint ? { graphEndpoint } : {}),
    ...(caFile ? { caFile } : {}),
    ...(domains ? { domains: domains as string[] } : {}),
  };
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): MailtraceConfig {
  const text = readText(path, 'config', 'config');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, `is not valid JSON (${(error as Error).message})`, 'fix the JSON syntax');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError(path, 'expected a JSON object', 'see docs/setup.md for the format');
  const doc = raw as Raw;
  if (doc.version !== 1)
    throw new ConfigError(
      `${path}: version`,
      `expected 1, got ${JSON.stringify(doc.version)}`,
      'set "version": 1',
    );
  if (!Array.isArray(doc.tenants) || doc.tenants.length === 0)
    throw new ConfigError(`${path}: tenants`, 'expected a non-empty array', 'list at least one tenant');
  const baseDir = dirname(resolve(path));
  const tenants = doc.tenants.map((t, i) => parseTenant(t, `tenants[${i}]`, baseDir, env));
  const names = new Set<string>();
  for (const [i, t] of tenants.entries()) {
    if (names.has(t.name))
      throw new ConfigError(
        `tenants[${i}].name`,
        `duplicate name '${t.name}'`,
        'give each tenant its own name',
      );
    names.add(t.name);
  }
  const store = optionalString(doc, 'store', path);
  const collector = parseCollectorSection(doc.collector, `${path}: collector`, baseDir);
  const sinks = parseSinksSection(doc.sinks, baseDir, `${path}: sinks`);
  return {
    source: path,
    tenants,
    ...(store ? { store: isAbsolute(store) ? store : resolve(baseDir, store) } : {}),
    ...(doc.collector !== undefined ? { collector } : {}),
    ...(doc.sinks !== undefined ? { sinks } : {}),
  };
}

/** One tenant from MAILTRACE_* environment variables (the quick way for a single tenant). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): MailtraceConfig | undefined {
  if (!env.MAILTRACE_TENANT_ID && !env.MAILTRACE_CLIENT_ID) return undefined;
  const raw: Raw = {
    name: env.MAILTRACE_TENANT_NAME ?? 'default',
    tenantId: env.MAILTRACE_TENANT_ID,
    clientId: env.MAILTRACE_CLIENT_ID,
    cloud: env.MAILTRACE_CLOUD,
    authorityHost: env.MAILTRACE_AUTHORITY_HOST,
    graphEndpoint: env.MAILTRACE_GRAPH_ENDPOINT,
    caFile: env.MAILTRACE_CA_FILE,
    certificateFile: env.MAILTRACE_CERTIFICATE_FILE,
    privateKeyFile: env.MAILTRACE_PRIVATE_KEY_FILE,
    clientSecretFile: env.MAILTRACE_CLIENT_SECRET_FILE,
    clientSecretEnv: env.MAILTRACE_CLIENT_SECRET ? 'MAILTRACE_CLIENT_SECRET' : undefined,
  };
  for (const key of Object.keys(raw)) if (raw[key] === undefined) delete raw[key];
  return { source: 'environment', tenants: [parseTenant(raw, 'env MAILTRACE_*', process.cwd(), env)] };
}

export function selectTenants(config: MailtraceConfig, name: string | undefined): TenantConfig[] {
  if (name === undefined || name === 'all') return config.tenants;
  const tenant = config.tenants.find((t) => t.name === name);
  if (!tenant)
    throw new ConfigError(
      `--tenant ${name}`,
      `no tenant named '${name}' in ${config.source}`,
      `use one of: ${config.tenants.map((t) => t.name).join(', ')}, or all`,
    );
  return [tenant];
}

/** Warn when a secret file is readable by others (it would leak to every local user). */
export function looseSecretFileMode(path: string): boolean {
  try {
    return (statSync(path).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}
