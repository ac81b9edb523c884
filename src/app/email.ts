/**
 * Comparing email addresses for authorization. Only ASCII letters are folded: Unicode case
 * mapping makes different addresses equal (the Kelvin sign `K` lower-cases to `k`), which an
 * allow-list or a "not your own request" check must not do.
 *
 * @module
 */

/** `text` with ASCII `A`–`Z` lowered and everything else unchanged. */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** Whether two email addresses are the same, ignoring surrounding spaces and ASCII case. */
export function sameEmail(a: string, b: string): boolean {
  const left = asciiLower(a.trim());
  return left !== "" && left === asciiLower(b.trim());
}
