/**
 * Incident-linked approval (`[pagerduty.incident_access]`): a pending request whose reason cites
 * an open PagerDuty incident of a service its role names, by a requester assigned to it or
 * responding to it, is approved through the review room, and the incident is recorded as what
 * the access depends on (the poller then locks the request once it is resolved). Tried once per
 * request, after on-call auto-approval: the outcome is recorded; a refusal gets one note on the
 * access-request incident saying why and leaves the request to human reviewers. A reason that
 * cites nothing is not noted.
 *
 * @module
 */

import { type Incident, PagerDutyError, type User } from "../pagerduty/types.ts";
import type { AccessRequest } from "../teleport/types.ts";
import { incidentApprovalReason, incidentRefusalNote } from "./access_end_messages.ts";
import type { IncidentApprovalRecord, RecordedIncident } from "./access_end_record.ts";
import { eligibleRequester } from "./auto_approve.ts";
import {
  type CandidateVerdict,
  incidentApprovalWanted,
  type IncidentRefusalReason,
  type IncidentVerdict,
  incidentVerdict,
  judgeCitedIncident,
  refuseRequest,
} from "./incident_access.ts";
import { type Citations, citedIncidents, citesAnything } from "./incident_citations.ts";
import { noteNotice } from "./notes.ts";
import { findServices } from "./open_incidents.ts";
import type { RequestRecord } from "./plugin_data.ts";
import { submitServiceReview } from "./reviews.ts";
import { namesFromAnnotation } from "./routing.ts";
import { keep, type RequestRun, write } from "./run.ts";

/** Notice code of the note saying why the cited incident did not justify approval. */
export const INCIDENT_REFUSED_NOTICE = "incident_access.refused";

/** Approves the request for the incident its reason cites, or says why not; once per request. */
export async function approveForIncident(run: RequestRun, request: AccessRequest): Promise<void> {
  if (!run.deps.accessEnd.incidentAccess) return;
  if (!incidentApprovalWanted(request, run.record, run.deps.selfUser)) return;
  const citations = citedIncidents(request.requestReason);
  if (!citesAnything(citations)) return;
  const { verdict, requester } = await judge(run, request, citations);
  if (!verdict.approve) {
    run.log.info("Not approved for a cited incident ({reason}): {details}", {
      reason: verdict.reason,
      details: verdict.details.join("; "),
    });
    const incidents = [...new Set(Object.values(run.record.incidents))];
    await noteNotice(run, INCIDENT_REFUSED_NOTICE, incidentRefusalNote(verdict), incidents);
    await settle(run, "refused", undefined);
    return;
  }
  const incident = recordedIncident(verdict.incident);
  // Recorded before the review: no access is granted without the incident that ends it.
  await run.change((current) => write(withPlan(current, "", incident), undefined));
  const reason = incidentApprovalReason(requester!, verdict);
  const outcome = await submitServiceReview(run.deps.auth, run.deps.selfUser, request.id, {
    decision: "APPROVED",
    reason,
  });
  if (outcome.kind === "submitted" || outcome.kind === "already_reviewed") {
    run.log.info("Approved for PagerDuty incident {incident_id}: {reason}", {
      incident_id: incident.id,
      reason,
      outcome: outcome.kind,
    });
    await settle(run, "approved", incident);
    return;
  }
  // Decided or deleted meanwhile: the access (if any) is not the service's to end.
  run.log.info("Not approved for the cited incident: the request is {outcome}", {
    outcome: outcome.kind,
  });
  await settle(run, "", undefined);
}

/** Judges the citations in order, stopping at the first incident that qualifies. */
async function judge(
  run: RequestRun,
  request: AccessRequest,
  citations: Citations,
): Promise<{ verdict: IncidentVerdict; requester?: User }> {
  const annotation = run.deps.accessEnd.incidentServicesAnnotation;
  const names = namesFromAnnotation(request, annotation);
  if (names.length === 0) {
    return {
      verdict: refuseRequest(
        "no_annotation",
        `the requester's roles name no PagerDuty services in annotation ${annotation}`,
      ),
    };
  }
  const found = await eligibleRequester(run, request);
  if ("refusal" in found) {
    return {
      verdict: refuseRequest(found.refusal.reason as IncidentRefusalReason, found.refusal.detail),
    };
  }
  const services = await findServices(run, names, run.log);
  if (services.length === 0) {
    return {
      verdict: refuseRequest(
        "unknown_services",
        `none of the services in annotation ${annotation} (${names.join(", ")}) exist in PagerDuty`,
      ),
    };
  }
  const context = { requester: found.user, services, annotation };
  const judged: CandidateVerdict[] = [];
  for (const citation of citations.incidents) {
    const candidate = judgeCitedIncident(citation, await incidentOrNone(run, citation.id), context);
    judged.push(candidate);
    if (candidate.qualifies) break;
  }
  return { verdict: incidentVerdict(judged, citations), requester: found.user };
}

/** The incident with this ID; undefined when PagerDuty has none (404). */
async function incidentOrNone(run: RequestRun, id: string): Promise<Incident | undefined> {
  try {
    return await run.deps.pagerduty.getIncident(id);
  } catch (error) {
    if (error instanceof PagerDutyError && error.status === 404) return undefined;
    throw error;
  }
}

function recordedIncident(incident: Incident): RecordedIncident {
  return {
    id: incident.id,
    serviceId: incident.serviceId,
    number: incident.number,
    title: incident.title,
  };
}

function withPlan(
  current: RequestRecord,
  approval: IncidentApprovalRecord,
  incident: RecordedIncident | undefined,
): RequestRecord {
  return { ...current, accessEnd: { ...current.accessEnd, incidentApproval: approval, incident } };
}

function settle(
  run: RequestRun,
  approval: IncidentApprovalRecord,
  incident: RecordedIncident | undefined,
): Promise<void> {
  return run.change((current) =>
    current.accessEnd.incidentApproval === approval && current.accessEnd.incident === incident
      ? keep(undefined)
      : write(withPlan(current, approval, incident), undefined)
  );
}
