// Secrets never reach logs, errors or reports. Everything written passes through `redact`, which removes secrets
// by key name (client_secret, authorization, ...), by shape (JWTs, "Bearer ...", PEM private keys, Entra client
// secrets) and by value (secrets registered at start-up, whose shape may be anything).

export const REDACTED = '[REDACTED]';

// Compared after lower-casing and dropping '-', '_' and '.', so clientSecret, client_secret and Client-Secret match.
const SECRET_KEY_PARTS = [
  'secret',
  'password',
  'passwd',
  'passphrase',
  'token',
  'assertion',
  'authorization',
  'apikey',
  'intakekey',
  'privatekey',
  'cookie',
  'signature',
  'sig',
  'credential',
];
// Paging cursors contain "token" but are not secrets, and are what a maintainer needs to debug a stuck collector.
const NOT_SECRET_KEYS = new Set(['skiptoken', 'deltatoken', 'tokentype']);

export function isSecretKey(key: string): boolean {
  let decoded = key;
  try {
    decoded = decodeURIComponent(key);
  } catch {
    // keep the raw key
  }
  const normalized = decoded.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (NOT_SECRET_KEYS.has(normalized)) return false;
  if (normalized === 'sig') return true; // SAS signatures
  return SECRET_KEY_PARTS.some((part) => part !== 'sig' && normalized.includes(part));
}

const SHAPES: readonly RegExp[] = [
  // PEM private keys, complete or truncated.
  /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
  // JWTs (access tokens, client assertions): base64url JSON header starting {"...
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g,
  // Entra client secret values: 3 characters, a digit, "Q~", then ~34 characters.
  /\b[A-Za-z0-9_.-]{3}[0-9]Q~[A-Za-z0-9_.~-]{30,40}/g,
];
// Authorization schemes: keep the scheme word, drop the credential (12+ characters, so prose survives).
const AUTH_SCHEME = /\b(Bearer|Splunk|Basic|ApiKey|SSWS)(\s+)[A-Za-z0-9._~+/=:-]{12,}/gi;
// key=value in query strings and form bodies, and "key": "value" in JSON text.
const KEY_VALUE = /([A-Za-z0-9_.$%-]+)=([^&\s"']+)/g;
const JSON_KEY_VALUE = /"([A-Za-z0-9_.$-]+)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;

const knownSecrets = new Set<string>();

/**
 * Registers a secret value (client secret, access token, intake key) so that any occurrence of it is scrubbed from
 * everything redacted afterwards, whatever its shape. Values shorter than 8 characters are ignored: scrubbing them
 * would mangle ordinary text and they are not credentials anyone should use.
 */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= 8) knownSecrets.add(value);
}

export function redactString(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const shape of SHAPES) out = out.replace(shape, REDACTED);
  out = out.replace(AUTH_SCHEME, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
  out = out.replace(KEY_VALUE, (m, key: string) => (isSecretKey(key) ? `${key}=${REDACTED}` : m));
  out = out.replace(JSON_KEY_VALUE, (m, key: string, colon: string) =>
    isSecretKey(key) ? `"${key}"${colon}"${REDACTED}"` : m,
  );
  return out;
}

/** A URL for logs and errors: secret query values and user-info (origin only) removed; relative stays relative. */
export function redactUrl(url: string): string {
  let parsed: URL;
  const relative = !/^[a-z][a-z0-9+.-]*:/i.test(url);
  try {
    parsed = new URL(url, 'http://relative.invalid');
  } catch {
    return redactString(url);
  }
  // Edit the raw query in place: re-serialising it would re-encode values, so logged URLs would differ from sent ones.
  const search = parsed.search.replace(/([?&])([^=&]+)=([^&]*)/g, (m, sep: string, key: string) =>
    isSecretKey(key) ? `${sep}${key}=${REDACTED}` : m,
  );
  const rebuilt = relative
    ? `${parsed.pathname}${search}${parsed.hash}`
    : `${parsed.origin}${parsed.pathname}${search}${parsed.hash}`;
  return redactString(rebuilt);
}

/** Deep copy of `value` with every secret removed; safe on cycles, Errors, Headers, Maps and Buffers. */
export function redact(value: unknown): unknown {
  return redactValue(value, new WeakSet(), 0);
}

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' ? '[function]' : typeof value === 'bigint' ? String(value) : value;
  }
  if (seen.has(value)) return '[circular]';
  if (depth > 12) return '[too deep]';
  seen.add(value);
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof URL) return redactUrl(value.href);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen, depth + 1));
  if (value instanceof Map || isHeadersLike(value)) {
    return redactEntries([...value.entries()], seen, depth);
  }
  if (value instanceof Error) {
    const fields: [string, unknown][] = [
      ['name', value.name],
      ['message', value.message],
    ];
    for (const [key, field] of Object.entries(value)) {
      if (key !== 'name' && key !== 'message') fields.push([key, field]);
    }
    if (value.cause !== undefined) fields.push(['cause', value.cause]);
    return redactEntries(fields, seen, depth);
  }
  return redactEntries(Object.entries(value), seen, depth);
}

function redactEntries(entries: [unknown, unknown][], seen: WeakSet<object>, depth: number) {
  const out: Record<string, unknown> = {};
  for (const [rawKey, field] of entries) {
    const key = String(rawKey);
    out[key] =
      isSecretKey(key) && field !== undefined && field !== null
        ? REDACTED
        : redactValue(field, seen, depth + 1);
  }
  return out;
}

// undici's Headers is a different class from the global one: recognise both by shape.
function isHeadersLike(value: object): value is Headers {
  const candidate = value as Partial<Headers>;
  return (
    typeof candidate.get === 'function' &&
    typeof candidate.entries === 'function' &&
    typeof candidate.has === 'function' &&
    !Array.isArray(value)
  );
}

/** Alias of redactString (the CLI imports it under this name). */
export const redactText = redactString;
