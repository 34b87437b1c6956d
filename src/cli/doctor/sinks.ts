// Step 7: sink healthchecks. Every entry of the config's `sinks` section becomes a SinkHealthcheck that makes the
// sink's own minimal real call (Elasticsearch GET /, HEC health + token probe, an empty Sekoia batch, a writable
// NDJSON directory); a sink that cannot take events blocks collection, so its failure is a blocker with a fix.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../graph/types.ts';
import type { SinkConfig } from '../collect-config.ts';
import { buildConfiguredSink, sinkName } from '../collect-session.ts';
import { CliError } from '../errors.ts';
import { type CheckResult, fail, pass, skip } from './check.ts';

/** What a sink exposes to the doctor: a name for the checklist and one cheap request that proves it is reachable. */
export interface SinkHealthcheck {
  name: string;
  /** Resolves (with what was found) when the sink answered a no-op; rejects with a reason otherwise. */
  check(signal: AbortSignal): Promise<string | undefined>;
  /** What to do when it fails (e.g. "check the intake key and the intake URL"). */
  fix: string;
}

/** A failed sink check whose fix depends on what went wrong (unreachable, refused credentials, bad config). */
export class SinkCheckError extends Error {
  override readonly name = 'SinkCheckError';
  readonly fix: string | undefined;

  constructor(message: string, fix?: string) {
    super(message);
    this.fix = fix;
  }
}

export async function checkSinks(
  sinks: readonly SinkHealthcheck[],
  signal: AbortSignal,
): Promise<CheckResult[]> {
  if (sinks.length === 0) return [skip('sinks', 'sinks', 'no sinks configured')];
  const results: CheckResult[] = [];
  for (const sink of sinks) {
    const title = `sink ${sink.name}`;
    try {
      const detail = await sink.check(signal);
      results.push(pass('sinks', title, detail ?? `${sink.name} is reachable`));
    } catch (error) {
      if (signal.aborted) throw error;
      const fix = error instanceof SinkCheckError && error.fix !== undefined ? error.fix : sink.fix;
      results.push(
        fail(
          'sinks',
          title,
          'config',
          `${sink.name}: ${error instanceof Error ? error.message : String(error)}`,
          fix,
        ),
      );
    }
  }
  return results;
}

export interface ConfiguredHealthcheckOptions {
  env: NodeJS.ProcessEnv;
  logger?: Logger | undefined;
}

/**
 * One healthcheck per configured sink. Each runs at most once however many tenants the doctor checks (the sinks
 * are shared by every tenant): later calls get the first answer.
 */
export function configuredSinkHealthchecks(
  entries: readonly SinkConfig[],
  options: ConfiguredHealthcheckOptions,
): SinkHealthcheck[] {
  return entries.map((entry) => {
    const name = sinkName(entry);
    let result: Promise<string | undefined> | undefined;
    return {
      name,
      fix: genericFix(entry),
      check: (signal) => {
        result ??= checkEntry(entry, options, signal);
        return result;
      },
    };
  });
}

/** Runs the check of one entry; resolves with the sink's own description of what it reached. */
export async function checkEntry(
  entry: SinkConfig,
  options: ConfiguredHealthcheckOptions,
  signal: AbortSignal,
): Promise<string | undefined> {
  signal.throwIfAborted();
  if ('path' in entry) return checkNdjsonPath(entry.path);
  let sink: ReturnType<typeof buildConfiguredSink>;
  try {
    sink = buildConfiguredSink(entry, options);
  } catch (error) {
    if (error instanceof CliError) throw new SinkCheckError(error.message, readableFix(error.fix));
    throw error;
  }
  try {
    const health = await sink.healthcheck();
    if (!health.ok) throw new SinkCheckError(`${where(entry)}${health.detail}`, fixFor(entry, health.detail));
    return `${where(entry)}${health.detail}`;
  } finally {
    await sink.close().catch(() => {});
  }
}

/**
 * "export NAME=…" would come out of redaction as "export NAME=[REDACTED]" (it looks like a secret assignment):
 * say it in words instead.
 */
function readableFix(fix: string | undefined): string | undefined {
  const variable = /^export (\w+)=…$/.exec(fix ?? '')?.[1];
  return variable === undefined
    ? fix
    : `set the environment variable ${variable} to the secret in the environment mailtrace runs in`;
}

/** NDJSON: the file (or its directory, when it does not exist yet) must be writable; nothing is created. */
async function checkNdjsonPath(path: string): Promise<string> {
  if (path === '-') return 'writes to stdout';
  const target = (await exists(path)) ? path : dirname(path);
  try {
    await access(target, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unwritable';
    throw new SinkCheckError(
      `cannot write ${target === path ? path : `to directory ${target}`} (${code})`,
      `create the directory or fix its permissions, or change "path" of this sink`,
    );
  }
  return `${path} is writable`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** "http://…: " — the URL the check went to, so that a wrong URL is visible at once. */
function where(entry: SinkConfig): string {
  if ('path' in entry) return '';
  const url = entry.options.url ?? entry.options.intakeServer;
  return typeof url === 'string' ? `${url}: ` : '';
}

const UNREACHABLE = /network error|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|no answer within/i;
const TLS = /certificate|self[- ]signed|CERT_|SSL|TLS/i;
const CREDENTIALS = /\b401\b|\b403\b|credentials|token|intake key|unauthori[sz]ed|forbidden/i;

function fixFor(entry: SinkConfig, detail: string): string {
  if ('path' in entry) return genericFix(entry);
  const secret = SECRET_KEYS[entry.type] ?? 'the secret keys';
  if (TLS.test(detail))
    return `give the CA that signed the server's certificate as "caFile" of this sink (insecure: true only for a test)`;
  if (UNREACHABLE.test(detail))
    return `start the ${entry.type} service or correct "${entry.type === 'sekoia' ? 'intakeServer' : 'url'}"; until it answers, collection holds its checkpoint (nothing is lost)`;
  if (CREDENTIALS.test(detail)) return `check ${secret}: the server refused the credential`;
  return genericFix(entry);
}

const SECRET_KEYS: Record<string, string> = {
  sekoia: 'intakeKeyEnv/intakeKeyFile (the intake key of the intake page)',
  'splunk-hec': 'tokenEnv/tokenFile (the HEC token value) and that the token is enabled',
  elasticsearch: 'apiKeyEnv/apiKeyFile or username + passwordEnv/passwordFile',
};

function genericFix(entry: SinkConfig): string {
  if ('path' in entry) return 'make the directory of "path" writable';
  return `check that ${entry.type} is up and reachable from this machine, and its credentials (see docs/sinks.md); then run \`mailtrace sinks check\``;
}
