/**
 * Which texts are bare email addresses, by the rule the Go plugin uses: Go's
 * `net/mail.ParseAddress(s)` succeeds and its address equals `s`. That leaves exactly an
 * RFC 5322 addr-spec without quotes, comments, display name or surrounding space: a dot-atom
 * local part (UTF-8 allowed, RFC 6532), `@`, and a dot-atom domain (a single label such as
 * `localhost` included) or an IP address in brackets. It decides both which requesters can be
 * looked up in PagerDuty and which `pagerduty.user_email` PagerDuty can hold.
 *
 * @module
 */

import { isIP } from "node:net";

// atext: visible ASCII except RFC 5322 specials, or any non-ASCII code point (no lone surrogates).
const ATEXT = "[A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~\\u0080-\\uD7FF\\uE000-\\u{10FFFF}]";
const DOT_ATOM = `${ATEXT}+(?:\\.${ATEXT}+)*`;
const ADDR_SPEC = new RegExp(`^(${DOT_ATOM})@(?:${DOT_ATOM}|\\[([^\\[\\]\\\\]*)\\])$`, "u");

/** Whether `text` is a bare email address as the Go plugin's `lib.IsEmail` accepts it. */
export function isEmailAddress(text: string): boolean {
  const match = ADDR_SPEC.exec(text);
  if (match === null) return false;
  const literal = match[2];
  // Go's net.ParseIP takes no zone (`%eth0`); a domain literal must be an IP address.
  return literal === undefined || (!literal.includes("%") && isIP(literal) !== 0);
}
