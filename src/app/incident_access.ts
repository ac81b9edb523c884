/**
 * Incident-linked access (`[pagerduty.incident_access]`) as pure functions: whether a cited
 * incident justifies approving a request, why not otherwise (each refusal with a sentence for the
 * note on the access-request incident), and which watched incidents the one poll per interval
 * shows may have been resolved.
 *
 * An incident justifies access when it is open (triggered or acknowledged), in one of the
 * services the requester's role names in the incident services annotation, and the requester
 * (matched by email as for auto-approval) is assigned to it or an accepted responder. The first
 * cited incident that qualifies is taken.
 *
 * @module
 */

import type { Incident, Service, User } from "../pagerduty/types.ts";
import type { AccessRequest } from "../teleport/types.ts";
import type { AccessEndRecord } from "./access_end_record.ts";
import type { RefusalReason } from "./auto_approval.ts";
import {
  type Citations,
  type IncidentCitation,
  MAX_CITED_INCIDENTS,
  type RejectedCitation,
} from "./incident_citations.ts";

/** Why a request was not approved for an incident; also the metric label. */
export type IncidentRefusalReason =
  /** The role has no incident services annotation. */
  | "no_annotation"
  /** The reason cites only things that are not incident citations. */
  | "malformed_citation"
  /** PagerDuty has no incident with the cited ID. */
  | "incident_not_found"
  /** The link points into another PagerDuty account. */
  | "other_account"
  | "incident_resolved"
  /** The incident is in a service the annotation does not name. */
  | "other_service"
  /** The requester is neither assigned nor an accepted responder. */
  | "not_responder"
  /** Refusals shared with on-call auto-approval: roles, email, user, services. */
  | Extract<
    RefusalReason,
    "role_not_allowed" | "no_email" | "no_user" | "ambiguous_user" | "unknown_services"
  >;

/** How a cited incident was judged. */
export type CandidateVerdict =
  | {
    readonly qualifies: true;
    readonly citation: IncidentCitation;
    readonly incident: Incident;
    /** How the requester is on it. */
    readonly role: "assigned" | "responder";
  }
  | {
    readonly qualifies: false;
    readonly citation: IncidentCitation;
    readonly reason: IncidentRefusalReason;
    /** A phrase for the note, e.g. `incident #123 "Checkout DB latency" is resolved`. */
    readonly detail: string;
  };

/** The outcome for a request. */
export type IncidentVerdict =
  | {
    readonly approve: true;
    readonly citation: IncidentCitation;
    readonly incident: Incident;
    readonly role: "assigned" | "responder";
    /** Refusals of incidents cited before the one taken, for the review reason. */
    readonly passedOver: readonly string[];
  }
  | {
    readonly approve: false;
    readonly reason: IncidentRefusalReason;
    /** One phrase per problem, for the note. */
    readonly details: readonly string[];
  };

/** Who is asking and which services count, once known. */
export interface IncidentContext {
  /** The requester's PagerDuty user. */
  readonly requester: User;
  /** The services named by the annotation that PagerDuty knows. */
  readonly services: readonly Service[];
  /** The annotation's name, for messages. */
  readonly annotation: string;
}

/**
 * Whether incident-linked approval is to be tried on a pending request: once per request (the
 * outcome is recorded), and not when the service has approved it already for being on call nor
 * reviewed it otherwise (Teleport counts one review per author).
 */
export function incidentApprovalWanted(
  request: Pick<AccessRequest, "state" | "reviews">,
  record: {
    readonly autoApproval: string;
    readonly accessEnd: Pick<AccessEndRecord, "incidentApproval">;
  },
  selfUser: string,
): boolean {
  return request.state === "PENDING" && record.autoApproval !== "approved" &&
    record.accessEnd.incidentApproval === "" &&
    !request.reviews.some((r) => r.author === selfUser);
}

/** A refusal decided before any incident is looked at (annotation, roles, identity). */
export function refuseRequest(reason: IncidentRefusalReason, detail: string): IncidentVerdict {
  return { approve: false, reason, details: [detail] };
}

/** How an incident is named in texts: `incident #123 "Checkout DB latency"`. */
export function incidentName(incident: Pick<Incident, "number" | "title">): string {
  return `incident #${incident.number} ${JSON.stringify(oneLine(incident.title))}`;
}

function hostOf(htmlUrl: string): string | undefined {
  try {
    return new URL(htmlUrl).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Judges one cited incident; `incident` is undefined when PagerDuty has none with that ID. The
 * checks run in the order a requester can act on: exists, same account, open, right service, on
 * it.
 */
export function judgeCitedIncident(
  citation: IncidentCitation,
  incident: Incident | undefined,
  context: IncidentContext,
): CandidateVerdict {
  const refuse = (reason: IncidentRefusalReason, detail: string): CandidateVerdict => ({
    qualifies: false,
    citation,
    reason,
    detail,
  });
  if (incident === undefined) {
    return refuse(
      "incident_not_found",
      `${citation.text} does not exist in this PagerDuty account`,
    );
  }
  const accountHost = hostOf(incident.htmlUrl);
  if (citation.host !== undefined && accountHost !== undefined && citation.host !== accountHost) {
    return refuse(
      "other_account",
      `${citation.text} is a link into another PagerDuty account (${citation.host}, not ${accountHost})`,
    );
  }
  const name = incidentName(incident);
  if (incident.status === "resolved") return refuse("incident_resolved", `${name} is resolved`);
  if (!context.services.some((s) => s.id === incident.serviceId)) {
    const listed = context.services.map((s) => s.name).join(", ");
    return refuse(
      "other_service",
      `${name} is in service ${incident.serviceName || incident.serviceId}, not in ${listed} ` +
        `(annotation ${context.annotation})`,
    );
  }
  const userId = context.requester.id;
  if (incident.assigneeIds.includes(userId)) {
    return { qualifies: true, citation, incident, role: "assigned" };
  }
  if (incident.acceptedResponderIds.includes(userId)) {
    return { qualifies: true, citation, incident, role: "responder" };
  }
  return refuse(
    "not_responder",
    `${userName(context.requester)} is neither assigned to ${name} nor an accepted responder`,
  );
}

/**
 * The outcome from the citations judged so far, in citation order: the first that qualifies is
 * taken (stop looking up further ones then); otherwise every problem is listed.
 */
export function incidentVerdict(
  judged: readonly CandidateVerdict[],
  citations: Pick<Citations, "rejected" | "ignored">,
): IncidentVerdict {
  const passedOver: string[] = [];
  for (const candidate of judged) {
    if (candidate.qualifies) {
      return {
        approve: true,
        citation: candidate.citation,
        incident: candidate.incident,
        role: candidate.role,
        passedOver,
      };
    }
    passedOver.push(candidate.detail);
  }
  const details = [...passedOver, ...citations.rejected.map(rejectedDetail)];
  if (citations.ignored > 0) {
    details.push(
      `${citations.ignored} more cited incident(s) were not looked at (at most ${MAX_CITED_INCIDENTS} are)`,
    );
  }
  const first = judged.find((c) => !c.qualifies);
  return {
    approve: false,
    reason: first !== undefined && !first.qualifies ? first.reason : "malformed_citation",
    details,
  };
}

function rejectedDetail(rejected: RejectedCitation): string {
  return `${rejected.text} ${rejected.problem}`;
}

/** An incident an approved request's access depends on. */
export interface WatchedIncident {
  readonly requestId: string;
  readonly incidentId: string;
  /** The incident's service when last seen: the poll lists open incidents by service. */
  readonly serviceId: string;
}

/** The services to list open incidents of, each once: one poll covers every watched incident. */
export function servicesToPoll(watched: readonly WatchedIncident[]): string[] {
  return [...new Set(watched.map((w) => w.serviceId))].sort();
}

/**
 * The watched incidents the poll did not list as open: resolved, most likely, but an incident
 * moved to another service looks the same, so each is looked up before anything is locked.
 */
export function missingFromPoll(
  watched: readonly WatchedIncident[],
  open: readonly Pick<Incident, "id">[],
): WatchedIncident[] {
  const openIds = new Set(open.map((i) => i.id));
  return watched.filter((w) => !openIds.has(w.incidentId));
}

/** What a watched incident's own answer means for the access that depends on it. */
export type WatchOutcome =
  /** Resolved: lock the request. */
  | { readonly kind: "resolved"; readonly incident: Incident }
  /** PagerDuty no longer has it: the access has nothing left to justify it; lock. */
  | { readonly kind: "gone" }
  /** Still open (moved to `serviceId`): keep watching it there. */
  | { readonly kind: "open"; readonly serviceId: string };

/** Reads PagerDuty's answer for a watched incident; `undefined` when it answered 404. */
export function watchOutcome(incident: Incident | undefined): WatchOutcome {
  if (incident === undefined) return { kind: "gone" };
  if (incident.status === "resolved") return { kind: "resolved", incident };
  return { kind: "open", serviceId: incident.serviceId };
}

/** The watched entries an `incident.resolved` webhook for `incidentId` ends. */
export function watchersOf(
  watched: readonly WatchedIncident[],
  incidentId: string,
): WatchedIncident[] {
  return watched.filter((w) => w.incidentId === incidentId);
}

function userName(user: User): string {
  return user.name ? `${user.name} (${user.email})` : user.email;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, " ");
}
