// Reading one sink entry of the config: typed getters that name the offending key in their errors, and secrets
// taken from an environment variable or a file (never inline), registered for redaction as soon as they are read.

import { envReferenceProblem } from '../core/env-reference.ts';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { registerSecret } from '../graph/redact.ts';

export class SinkConfigError extends Error {
  override readonly name = 'SinkConfigError';
  /** The offending key, e.g. sinks[1].url. */
  readonly key: string;
  readonly fix: string;

  constructor(key: string, problem: string, fix: string) {
    super(`${key}: ${problem} (${fix})`);
    this.key = key;
    this.fix = fix;
  }
}

export interface SinkConfigContext {
  env?: Record<string, string | undefined>;
  /** Relative file paths resolve against this (the config file's directory). Default: cwd. */
  baseDir?: string;
}

export type Raw = Record<string, unknown>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class Reader {
  readonly #raw: Raw;
  readonly #where: string;
  readonly #env: Record<string, string | undefined>;
  readonly #baseDir: string;

  constructor(raw: Raw, where: string, context: SinkConfigContext) {
    this.#raw = raw;
    this.#where = where;
    this.#env = context.env ?? process.env;
    this.#baseDir = context.baseDir ?? process.cwd();
  }

  #key(key: string): string {
    return `${this.#where}.${key}`;
  }

  string(key: string): string | undefined {
    const value = this.#raw[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.trim() === '')
      throw new SinkConfigError(
        this.#key(key),
        'expected a non-empty string',
        `set ${key} to a string or remove it`,
      );
    return value.trim();
  }

  boolean(key: string): boolean | undefined {
    const value = this.#raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'boolean')
      throw new SinkConfigError(this.#key(key), 'expected true or false', `set ${key} to true or false`);
    return value;
  }

  positive(key: string): number | undefined {
    const value = this.#raw[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
      throw new SinkConfigError(
        this.#key(key),
        `expected a positive integer, got ${JSON.stringify(value)}`,
        `set ${key} to a whole number above 0`,
      );
    return value;
  }

  file(key: string): string | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const path = isAbsolute(value) ? value : resolve(this.#baseDir, value);
    try {
      readFileSync(path);
    } catch (error) {
      throw new SinkConfigError(
        this.#key(key),
        `cannot read '${path}' (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        'check the path and its permissions',
      );
    }
    return path;
  }

  /** https, or http only to this machine (a token sent in clear over a network is a leaked token). */
  url(key: string): string | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new SinkConfigError(
        this.#key(key),
        `'${value}' is not a URL`,
        'give a full URL such as https://host:port',
      );
    }
    if (url.username || url.password)
      throw new SinkConfigError(
        this.#key(key),
        'credentials in the URL',
        'remove them from the URL and use the secret keys',
      );
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
      throw new SinkConfigError(
        this.#key(key),
        `'${value}' is not https`,
        'use https:// (plain http is accepted only for localhost)',
      );
    if (url.search || url.hash)
      throw new SinkConfigError(this.#key(key), 'has a query or fragment', 'give the base URL only');
    return value.replace(/\/+$/, '');
  }

  requiredUrl(key: string, what: string): string {
    const value = this.url(key);
    if (value === undefined) throw new SinkConfigError(this.#key(key), 'is missing', `set ${key}: ${what}`);
    return value;
  }

  /** Reads `<name>Env` or `<name>File` (exactly one); the value is registered for redaction at once. */
  secret(name: string, what: string): string {
    const envName = this.string(`${name}Env`);
    const misuse = envName === undefined ? undefined : envReferenceProblem(`${name}Env`, envName);
    if (misuse) throw new SinkConfigError(this.#key(`${name}Env`), misuse.problem, misuse.fix);
    const fileKey = `${name}File`;
    const file = this.string(fileKey);
    if ((envName === undefined) === (file === undefined))
      throw new SinkConfigError(
        this.#key(envName === undefined ? name : `${name}Env`),
        envName === undefined ? 'no secret configured' : `both ${name}Env and ${fileKey}`,
        `set exactly one of ${name}Env (an environment variable name) or ${fileKey} (a path) holding ${what}`,
      );
    let value: string | undefined;
    if (envName !== undefined) {
      value = this.#env[envName]?.trim();
      if (!value)
        throw new SinkConfigError(
          this.#key(`${name}Env`),
          `environment variable ${envName} is not set`,
          `export ${envName}=…`,
        );
    } else {
      const path = isAbsolute(file as string) ? (file as string) : resolve(this.#baseDir, file as string);
      try {
        value = readFileSync(path, 'utf8').trim();
      } catch (error) {
        throw new SinkConfigError(
          this.#key(fileKey),
          `cannot read '${path}' (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
          'check the path and its permissions',
        );
      }
      if (!value)
        throw new SinkConfigError(this.#key(fileKey), `'${path}' is empty`, `write ${what} into it`);
    }
    registerSecret(value);
    return value;
  }
}
