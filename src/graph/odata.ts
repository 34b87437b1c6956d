// OData query helpers. Graph decodes query values like any form decoder: an unencoded '+' becomes a space and a
// raw '#' or '&' cuts the value short, so an internet message id such as "<a+b#1@x>" silently matches nothing
// unless every reserved character is percent-encoded. These helpers make the safe form the only easy form.

/** Wraps a value as an OData string literal, doubling embedded single quotes: it's → 'it''s'. */
export function quoteODataString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

// encodeURIComponent leaves !()* unencoded as well as the single quote. ( ) ! * are sub-delims that some proxies
// and servers treat specially, so they are encoded; the single quote stays literal because it is OData's string
// delimiter and every server decodes it the same way (Graph's own documentation shows it raw).
const EXTRA_RESERVED = /[!()*]/g;

/** Percent-encodes a query value: everything except unreserved characters (A-Z a-z 0-9 - . _ ~) and '. */
export function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(
    EXTRA_RESERVED,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Builds '?name=value&…' with encoded values, skipping undefined ones. OData system options keep their literal
 * `$` ($filter, $top, …); other names are encoded. Returns '' when nothing is left.
 */
export function buildQuery(params: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const encodedName = name.startsWith('$') ? `$${encodeQueryValue(name.slice(1))}` : encodeQueryValue(name);
    parts.push(`${encodedName}=${encodeQueryValue(String(value))}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** `${property} eq '…'` with the value quoted; still needs encoding as a whole (buildQuery does it). */
export function eqFilter(property: string, value: string): string {
  return `${property} eq ${quoteODataString(value)}`;
}
