/**
 * Case-insensitive comparison for identities (emails, names) that folds ASCII letters only.
 * `toLowerCase()` folds far more: U+212A KELVIN SIGN becomes `k`, so `\u212Aate@example.com`
 * would compare equal to `kate@example.com` and could be approved as Kate. Here every character
 * outside A–Z compares exactly as written.
 *
 * @module
 */

/** `text` with A–Z lowered and every other character left as it is. */
export function asciiLowerCase(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** Whether `a` and `b` are equal when only the case of ASCII letters is ignored. */
export function equalIgnoringAsciiCase(a: string, b: string): boolean {
  return a.length === b.length && asciiLowerCase(a) === asciiLowerCase(b);
}
