// JSON that is safe to print. JSON.stringify escapes C0 controls but passes C1 controls (U+0080–U+009F, e.g. CSI
// U+009B, which some terminals act on like ESC [) and bidi overrides through as raw characters. Escaping them as
// \uXXXX keeps the JSON equal for every parser while making `-o json`, `--ndjson -` or `cat events.ndjson` in a
// terminal harmless, whatever a hostile subject holds.

const RAW_UNSAFE = /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function safeJsonStringify(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(
    RAW_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
