// Reading parsed JSON of unknown shape (Graph answers) without trusting it: a field is used only when it has the
// expected type, and anything else reads as absent.

/** The value as a plain object, or undefined for null, arrays and primitives. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The value as a non-empty string, or undefined (an empty string says nothing, like an absent one). */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
