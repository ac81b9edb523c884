/**
 * The PagerDuty incidents an access request's reason cites: incident links
 * (`https://<subdomain>.pagerduty.com/incidents/<ID>`, EU `…eu.pagerduty.com…`) and bare
 * incident IDs, in the order they appear. Reasons are free text from the requester, so the
 * parse is strict: anything that looks like a citation but cannot be one is reported, not
 * guessed at, and only a few citations are taken, so a reason cannot make the service call
 * PagerDuty without bound.
 *
 * @module
 */

/** An incident the reason cites. */
export interface IncidentCitation {
  /** The incident ID as cited. */
  readonly id: string;
  /** The account's web host of a cited link, lower-case (`acme.pagerduty.com`); undefined for a bare ID. */
  readonly host: string | undefined;
  /** The citation as it appears in the reason, for notes. */
  readonly text: string;
}

/** Something in the reason that points at PagerDuty but cannot be used as a citation. */
export interface RejectedCitation {
  readonly text: string;
  /** Why, as a phrase completing "<text> …". */
  readonly problem: string;
}

/** Every citation in a reason. */
export interface Citations {
  /** Usable citations in the order they appear, each incident once, at most {@linkcode MAX_CITED_INCIDENTS}. */
  readonly incidents: readonly IncidentCitation[];
  readonly rejected: readonly RejectedCitation[];
  /** Usable citations left out beyond the limit. */
  readonly ignored: number;
}

/** Most incidents looked up for one request. */
export const MAX_CITED_INCIDENTS = 5;

/** Only this much of a reason is read; Teleport's reasons are short, a hostile one need not be. */
const MAX_REASON_SCANNED = 10_000;

/** A link-looking token: up to the first character a link cannot contain. */
const LINK = /https?:\/\/[^\s<>"'`()[\]{}|\\^]+/gi;
/**
 * A bare incident ID: `P` + 6 or `Q` + 13 upper-case letters and digits, standing alone (not
 * inside a word, a path, an email or a host name).
 */
const BARE_ID =
  /(?<![A-Za-z0-9/@.=_-])(?:P[A-Z0-9]{6}|Q[A-Z0-9]{13})(?![A-Za-z0-9_@/=-]|\.[A-Za-z0-9])/g;
/** Hosts of PagerDuty itself rather than of an account. */
const NOT_ACCOUNTS = new Set(["www", "api", "events", "app", "support", "developer", "status"]);

/** Whether a host is PagerDuty's. */
function isPagerDutyHost(host: string): boolean {
  return host === "pagerduty.com" || host.endsWith(".pagerduty.com");
}

/** The account subdomain of an account's web host (`acme` in `acme.eu.pagerduty.com`). */
function accountOf(host: string): string | undefined {
  const match = /^([a-z0-9][a-z0-9-]*)\.(?:eu\.)?pagerduty\.com$/.exec(host);
  return match !== null && !NOT_ACCOUNTS.has(match[1]) ? match[1] : undefined;
}

/** A link cited in the reason: a citation, a rejection, or nothing to do with PagerDuty. */
function readLink(text: string): IncidentCitation | RejectedCitation | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return /pagerduty\.com/i.test(text) ? { text, problem: "is not a valid link" } : undefined;
  }
  const host = url.hostname.toLowerCase();
  if (!isPagerDutyHost(host)) return undefined;
  if (url.protocol !== "https:") return { text, problem: "is not an https:// link" };
  if (url.username !== "" || url.password !== "" || url.port !== "") {
    return { text, problem: "is not a plain PagerDuty link" };
  }
  if (accountOf(host) === undefined) {
    return {
      text,
      problem: "is not a link into a PagerDuty account (https://<subdomain>.pagerduty.com)",
    };
  }
  const path = /^\/incidents\/([^/]+)(?:\/.*)?$/.exec(url.pathname);
  if (path === null) return { text, problem: "does not point at an incident (…/incidents/<ID>)" };
  const id = decodeURIComponent(path[1]);
  if (!/^[A-Za-z0-9]{1,32}$/.test(id)) {
    return { text, problem: "does not end in an incident ID" };
  }
  return { id, host, text };
}

/** Trailing punctuation that ends a sentence rather than the link. */
function trimLink(text: string): string {
  return text.replace(/[.,;:!?]+$/, "");
}

/** The incidents the reason cites, in order, and what could not be read as a citation. */
export function citedIncidents(reason: string): Citations {
  const scanned = reason.slice(0, MAX_REASON_SCANNED);
  const found: Array<{ at: number; citation: IncidentCitation }> = [];
  const rejected: RejectedCitation[] = [];
  const linkSpans: Array<[number, number]> = [];
  for (const match of scanned.matchAll(LINK)) {
    const text = trimLink(match[0]);
    linkSpans.push([match.index, match.index + match[0].length]);
    const read = readLink(text);
    if (read === undefined) continue;
    if ("problem" in read) rejected.push(read);
    else found.push({ at: match.index, citation: read });
  }
  for (const match of scanned.matchAll(BARE_ID)) {
    const inLink = linkSpans.some(([from, to]) => match.index >= from && match.index < to);
    // A digit tells an ID from a shouted word such as "PRODUCT".
    if (inLink || !/\d/.test(match[0])) continue;
    found.push({ at: match.index, citation: { id: match[0], host: undefined, text: match[0] } });
  }
  found.sort((a, b) => a.at - b.at);
  const seen = new Set<string>();
  const unique = found.map((f) => f.citation).filter((c) => {
    if (seen.has(c.id)) return false;
    seen.add(c.id);
    return true;
  });
  return {
    incidents: unique.slice(0, MAX_CITED_INCIDENTS),
    rejected,
    ignored: Math.max(0, unique.length - MAX_CITED_INCIDENTS),
  };
}

/** Whether the reason cites anything at all (usable or not): only then is a refusal worth a note. */
export function citesAnything(citations: Citations): boolean {
  return citations.incidents.length > 0 || citations.rejected.length > 0;
}
