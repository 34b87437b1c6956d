// The collector's part of the config file: the optional top-level `collector` settings and `sinks` list, plus
// the duration syntax ("5m", "48h", "30d") shared by the config file and the command-line flags. Validation
// names the offending key and says what to fix, like the rest of config.ts.
import { isAbsolute, resolve } from 'node:path';
import { CliError, EXIT } from './errors.ts';

export interface CollectorSettings {
  /** The fast pass reads up to now minus this. */
  delayMs?: number;
  /** The reconciliation pass re-reads this much trailing time. */
  trailingWindowMs?: number;
  /** Time between the starts of two daemon cycles. */
  cycleIntervalMs?: number;
  /** Backfill depth: collect from now minus this on the first run. */
  sinceMs?: number;
  /** How long a tenant's lease lasts unless renewed (a collector killed on another host holds it this long). */
  leaseTtlMs?: number;
  /** The file events refused for good by a sink are appended to (default: next to the store). */
  deadLetterPath?: string;
}

/** An NDJSON file; the SIEM sinks keep their validated options for their own factory (see sinks/config.ts). */
export type SinkConfig =
  | { type: 'ndjson'; name?: string; path: string }
  | { type: string; name?: string; options: Record<string, unknown>; where: string; baseDir: string };

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION = /^(\d+(?:\.\d+)?)\s*([smhd])$/;

/** "90s", "5m", "48h", "30d" → milliseconds, or undefined when `text` is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[match[2]!] ?? Number.NaN);
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/**
 * A point in time given either as an age ("30d" = 30 days before now) or an RFC 3339 instant. Throws a usage
 * error naming `what` when it is neither.
 */
export function parseInstant(text: string, now: number, what: string): number {
  const age = parseDurationMs(text);
  if (age !== undefined) return now - age;
  if (/^\d{4}-\d\d-\d\d(T|$)/.test(text)) {
    const impossible = impossibleCalendarField(text);
    if (impossible !== undefined)
      throw new CliError(
        `${what}: '${text}' is not a real date (${impossible})`,
        EXIT.usage,
        `give a date that exists, such as 2026-01-20 or 2026-01-20T10:00:00Z`,
      );
    const ms = Date.parse(/T.*(Z|[+-]\d\d:?\d\d)$/i.test(text) || !text.includes('T') ? text : `${text}Z`);
    if (Number.isFinite(ms)) return ms;
  }
  throw new CliError(
    `${what}: '${text}' is neither a duration nor a date`,
    EXIT.usage,
    `give an age such as 30m, 48h or 30d, or an RFC 3339 instant such as 2026-01-20T10:00:00Z`,
  );
}

/**
 * Date.parse rolls impossible fields over (2026-11-31 becomes 1 December, 24:30 the next day), so an instant that
 * reads fine can name a different day than the analyst typed. Returns the first field out of range, if any.
 */
function impossibleCalendarField(text: string): string | undefined {
  const match = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?/i.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12) return `month ${match[2]} does not exist`;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return `${match[1]}-${match[2]} has ${daysInMonth} days`;
  if (match[4] !== undefined && Number(match[4]) > 23) return `hour ${match[4]} does not exist`;
  if (match[5] !== undefined && Number(match[5]) > 59) return `minute ${match[5]} does not exist`;
  if (match[6] !== undefined && Number(match[6]) > 59) return `second ${match[6]} does not exist`;
  return undefined;
}

function configError(where: string, problem: string, fix: string): CliError {
  return new CliError(`${where}: ${problem}`, EXIT.config, fix);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function durationKey(raw: Record<string, unknown>, key: string, where: string): number | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === 'string' ? parseDurationMs(value) : undefined;
  if (ms === undefined)
    throw configError(
      `${where}.${key}`,
      `expected a duration, got ${JSON.stringify(value)}`,
      'write it as a string such as "90s", "5m", "48h" or "30d"',
    );
  return ms;
}

const COLLECTOR_KEYS = ['delay', 'trailingWindow', 'cycleInterval', 'since', 'leaseTtl', 'deadLetter'] as const;

/** Validates the top-level `collector` object (every key optional); relative paths are read from `baseDir`. */
export function parseCollectorSection(
  raw: unknown,
  where = 'collector',
  baseDir = process.cwd(),
): CollectorSettings {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw))
    throw configError(where, 'expected an object', '{"delay": "5m", "trailingWindow": "48h", …}');
  for (const key of Object.keys(raw))
    if (!(COLLECTOR_KEYS as readonly string[]).includes(key))
      throw configError(`${where}.${key}`, 'unknown key', `valid keys: ${COLLECTOR_KEYS.join(', ')}`);
  const delayMs = durationKey(raw, 'delay', where);
  const trailingWindowMs = durationKey(raw, 'trailingWindow', where);
  const cycleIntervalMs = durationKey(raw, 'cycleInterval', where);
  const sinceMs = durationKey(raw, 'since', where);
  const leaseTtlMs = durationKey(raw, 'leaseTtl', where);
  if (leaseTtlMs !== undefined && (leaseTtlMs < 10_000 || leaseTtlMs > UNIT_MS.h!))
    throw configError(
      `${where}.leaseTtl`,
      'must be from 10s to 1h',
      'shorter risks a busy collector losing its tenant; longer makes a crashed one block others for long: "60s" is the default',
    );
  if (sinceMs !== undefined && sinceMs > 90 * UNIT_MS.d!)
    throw configError(
      `${where}.since`,
      'is older than 90 days',
      'Graph keeps message traces for 90 days: use at most "90d"',
    );
  const deadLetter = raw.deadLetter;
  if (deadLetter !== undefined && (typeof deadLetter !== 'string' || deadLetter.trim() === ''))
    throw configError(
      `${where}.deadLetter`,
      'expected a file path',
      'set "deadLetter" to the NDJSON file where refused events are kept, or remove the key',
    );
  return {
    ...(typeof deadLetter === 'string' ? { deadLetterPath: resolve(baseDir, deadLetter) } : {}),
    ...(delayMs !== undefined ? { delayMs } : {}),
    ...(trailingWindowMs !== undefined ? { trailingWindowMs } : {}),
    ...(cycleIntervalMs !== undefined ? { cycleIntervalMs } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(leaseTtlMs !== undefined ? { leaseTtlMs } : {}),
  };
}

/**
 * Validates the top-level `sinks` array. NDJSON is handled here; any other `type` is kept with its options for
 * the SIEM sink factories (src/sinks/config.ts), which validate their own keys.
 */
export function parseSinksSection(raw: unknown, baseDir: string, where = 'sinks'): SinkConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw configError(where, 'expected an array', '[{"type": "ndjson", "path": "traces.ndjson"}]');
  const names = new Set<string>();
  return raw.map((entry, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(entry)) throw configError(at, 'expected an object', '{"type": "ndjson", "path": "…"}');
    const type = entry.type;
    if (typeof type !== 'string' || type.trim() === '')
      throw configError(`${at}.type`, 'is missing', 'set "type", e.g. "ndjson"');
    const name = entry.name;
    if (name !== undefined && (typeof name !== 'string' || name.trim() === ''))
      throw configError(`${at}.name`, 'expected a non-empty string', 'name the sink or remove the key');
    const sinkName = (name as string | undefined) ?? type;
    if (names.has(sinkName))
      throw configError(
        at,
        `a second sink named '${sinkName}'`,
        'give sinks of the same type distinct "name"s: the collector tracks deliveries per sink name',
      );
    names.add(sinkName);
    if (type !== 'ndjson') {
      const { type: _type, name: _name, ...options } = entry;
      return { type, ...(name !== undefined ? { name: name as string } : {}), options, where: at, baseDir };
    }
    for (const key of Object.keys(entry))
      if (!['type', 'name', 'path'].includes(key))
        throw configError(`${at}.${key}`, 'unknown key', 'an ndjson sink takes type, name and path');
    const path = entry.path;
    if (typeof path !== 'string' || path.trim() === '')
      throw configError(`${at}.path`, 'is missing', 'set "path" to a file, or "-" for stdout');
    const resolved = path === '-' || isAbsolute(path) ? path : resolve(baseDir, path);
    return { type: 'ndjson', ...(name !== undefined ? { name: name as string } : {}), path: resolved };
  });
}
