// A JSON-lines logger on stderr (stdout belongs to command output). Every field passes through `redact`, so a
// caller that logs a whole request, error or config object cannot leak a secret.
import { redact, redactString } from './redact.ts';
import type { Logger } from './types.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLogger extends Logger {
  error(event: string, fields?: Record<string, unknown>): void;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  /** Lowest level written; default 'info', or 'debug' when `debug` is true or MAILTRACE_DEBUG=1. */
  level?: LogLevel;
  debug?: boolean;
  /** Where lines go; default process.stderr. Tests capture lines here. */
  write?: (line: string) => void;
  /** Defaults to process.env; read once. */
  env?: Record<string, string | undefined>;
  now?: () => number;
}

export function createLogger(options: LoggerOptions = {}): JsonLogger {
  const env = options.env ?? process.env;
  const envDebug = env.MAILTRACE_DEBUG === '1' || env.MAILTRACE_DEBUG?.toLowerCase() === 'true';
  const level: LogLevel = options.level ?? (options.debug || envDebug ? 'debug' : 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? Date.now;

  const log = (lineLevel: LogLevel, event: string, fields?: Record<string, unknown>) => {
    if (RANK[lineLevel] < RANK[level]) return;
    const safe = fields === undefined ? {} : (redact(fields) as Record<string, unknown>);
    // time/level/event come first and fields cannot overwrite them, so lines stay greppable.
    const line: Record<string, unknown> = {
      time: new Date(now()).toISOString(),
      level: lineLevel,
      event: redactString(event),
    };
    for (const [key, value] of Object.entries(safe)) line[key in line ? `field.${key}` : key] = value;
    write(`${JSON.stringify(line)}\n`);
  };

  return {
    level,
    debug: (event, fields) => log('debug', event, fields),
    info: (event, fields) => log('info', event, fields),
    warn: (event, fields) => log('warn', event, fields),
    error: (event, fields) => log('error', event, fields),
  };
}

/** Discards everything; the default when a caller passes no logger. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
};
