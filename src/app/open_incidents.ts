/**
 * Opening incidents: finds the services a pending request is routed to, announces them in the
 * record (so an incident opened just before a crash is still found by its key), opens one
 * incident per service, and records each. A duplicate from a racing instance, or an incident
 * that came after the request was decided, is resolved at once.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { Incident, Service } from "../pagerduty/types.ts";
import type { AccessRequest } from "../teleport/types.ts";
import { servicesWithoutIncident } from "./decide.ts";
import {
  incidentDetails,
  incidentKey,
  incidentTitle,
  outcomeNote,
  outcomeText,
  requestLink,
} from "./messages.ts";
import {
  PLUGIN_NAME,
  type RequestRecord,
  type Resolution,
  withIncident,
  withRequestFacts,
} from "./plugin_data.ts";
import { MAX_SERVICE_NAMES, notifyRouting, rulesNeedUserTraits } from "./routing.ts";
import { type Change, keep, type RequestRun, write } from "./run.ts";

/** What recording a confirmed incident found. */
export type RecordOutcome =
  | { readonly kind: "recorded" }
  | { readonly kind: "already_recorded" }
  /** Another instance recorded a different incident for the service first. */
  | { readonly kind: "duplicate"; readonly keptIncidentId: string }
  /** The request was resolved meanwhile; the incident must be closed with its outcome. */
  | {
    readonly kind: "late";
    readonly resolution: Exclude<Resolution, "">;
    readonly reason: string;
  };

/**
 * The pure record change for an incident PagerDuty confirmed: records it, or says why not.
 */
export function recordIncident(
  current: RequestRecord,
  request: AccessRequest,
  serviceId: string,
  incidentId: string,
): Change<RecordOutcome> {
  const existing = current.incidents[serviceId];
  if (existing === incidentId) return keep({ kind: "already_recorded" });
  if (existing) return keep({ kind: "duplicate", keptIncidentId: existing });
  if (current.resolution !== "") {
    return keep({ kind: "late", resolution: current.resolution, reason: current.resolveReason });
  }
  const base = current.incidentId === "" ? withRequestFacts(current, request) : current;
  return write(withIncident(base, serviceId, incidentId), { kind: "recorded" });
}

/**
 * The pure record change announcing the services about to get an incident; `stop` when the
 * request was resolved meanwhile (nothing is to be opened any more).
 */
export function announceServices(
  current: RequestRecord,
  request: AccessRequest,
  serviceIds: readonly string[],
): Change<"announced" | "stop"> {
  if (current.resolution !== "") return keep("stop");
  const ids = serviceIds.filter((id) => !current.incidents[id] && !current.opening.includes(id));
  if (ids.length === 0) return keep("announced");
  const base = current.incidentId === "" ? withRequestFacts(current, request) : current;
  return write({ ...base, opening: [...current.opening, ...ids] }, "announced");
}

/** Makes sure every service the request is routed to has an incident for it. */
export async function openIncidents(run: RequestRun, request: AccessRequest): Promise<void> {
  const { services: targets, omitted } = await notifyTargets(run, request);
  const missing = servicesWithoutIncident(targets, run.record);
  if (missing.length === 0) return;
  await run.hold();
  const ids = missing.map((s) => s.id);
  if (await run.change((current) => announceServices(current, request, ids)) === "stop") return;
  for (const service of servicesWithoutIncident(targets, run.record)) {
    await openOne(run, request, service, omitted);
  }
}

async function openOne(
  run: RequestRun,
  request: AccessRequest,
  service: Service,
  omittedServices: number,
): Promise<void> {
  const { pagerduty, observer } = run.deps;
  const incident = await run.sideEffect((signal) =>
    pagerduty.createIncident({
      title: incidentTitle(request),
      serviceId: service.id,
      incidentKey: incidentKey(request.id),
      details: incidentDetails(request, requestLink(run.deps.proxyAddr(), request.id), {
        omittedServices,
      }),
      urgency: run.deps.urgency,
      priority: run.deps.priority,
    }, { signal })
  );
  const outcome = await run.change((current) =>
    recordIncident(current, request, service.id, incident.id)
  );
  switch (outcome.kind) {
    case "recorded":
      observer.incidentCreated(run.firstSeenLatency());
      run.log.info("Opened incident {incident_id} in service {service}", {
        incident_id: incident.id,
        service: service.name,
      });
      return;
    case "already_recorded":
      return;
    case "duplicate":
      await resolveDuplicate(run, incident, outcome.keptIncidentId);
      return;
    case "late":
      await closeLate(run, service, incident, outcome);
      return;
  }
}

async function resolveDuplicate(run: RequestRun, incident: Incident, kept: string): Promise<void> {
  await run.sideEffect((signal) =>
    run.deps.pagerduty.resolveIncident(
      incident.id,
      `Duplicate of incident ${kept}, opened by another instance for the same request.`,
      { signal },
    )
  );
  run.deps.observer.incidentResolved("duplicate");
  run.log.warn("Resolved duplicate incident {incident_id}; {kept} is kept", {
    incident_id: incident.id,
    kept,
  });
}

/** PagerDuty first, the record after: a crash in between leaves nothing open. */
async function closeLate(
  run: RequestRun,
  service: Service,
  incident: Incident,
  late: { resolution: Exclude<Resolution, "">; reason: string },
): Promise<void> {
  const { pagerduty, observer } = run.deps;
  await run.sideEffect((signal) =>
    pagerduty.addNote(incident.id, outcomeNote(late.resolution, late.reason), { signal })
  );
  await run.sideEffect((signal) =>
    pagerduty.resolveIncident(incident.id, outcomeText(late.resolution, late.reason), { signal })
  );
  observer.incidentResolved(late.resolution);
  run.log.warn("Resolved incident {incident_id}, opened after the request was {resolution}", {
    incident_id: incident.id,
    resolution: late.resolution,
  });
  await run.change((current) =>
    current.incidents[service.id]
      ? keep(undefined)
      : write(withIncident(current, service.id, incident.id), undefined)
  );
}

/**
 * Looks up the services to notify: Access Monitoring Rules first, evaluated with the requester's
 * traits when a rule reads them (each rule that cannot be evaluated is reported once), else the
 * notify annotation. Names PagerDuty does not know are logged and skipped, and so are names
 * beyond the per-request cap (`omitted`).
 */
export async function notifyTargets(
  run: RequestRun,
  request: AccessRequest,
): Promise<{ services: Service[]; omitted: number }> {
  const { ruleFacts } = run.deps;
  const rules = [...run.deps.rules()];
  const userTraits = rulesNeedUserTraits(rules, PLUGIN_NAME)
    ? await ruleFacts.userTraits(request.user)
    : {};
  const routing = notifyRouting(request, rules, {
    notifyAnnotation: run.deps.notifyAnnotation,
    pluginName: PLUGIN_NAME,
    userTraits,
  });
  for (const { rule, message } of routing.ruleErrors) ruleFacts.reportUnusable(rule, message);
  if (routing.serviceNames.length === 0) {
    run.log.debug("No service to notify: annotation {annotation} is missing or empty", {
      annotation: run.deps.notifyAnnotation,
    });
    return { services: [], omitted: 0 };
  }
  if (routing.source === "access_monitoring_rule") {
    run.log.debug("Access Monitoring Rules route the request to {services}", {
      services: routing.serviceNames.join(", "),
    });
  }
  if (routing.omitted > 0) logOverCap(run.log, "notified", routing.omitted);
  const services = await findServices(run, routing.serviceNames, run.log);
  // Two names may differ only in spelling yet resolve to the same service.
  return {
    services: [...new Map(services.map((s) => [s.id, s])).values()],
    omitted: routing.omitted,
  };
}

/** Says that a request named more services than the cap allows, and what became of them. */
export function logOverCap(log: Logger, purpose: string, omitted: number): void {
  log.warn(
    "The request names {omitted} service(s) more than the {max} that are {purpose}; they are ignored",
    { omitted, max: MAX_SERVICE_NAMES, purpose },
  );
}

/** The services with these names; names PagerDuty does not know are logged and skipped. */
export async function findServices(
  run: RequestRun,
  names: readonly string[],
  log: Logger,
): Promise<Service[]> {
  const found = await Promise.all(names.map((n) => run.deps.pagerduty.findServiceByName(n)));
  names.forEach((name, i) => {
    if (!found[i]) {
      log.warn("PagerDuty has no service named {service}: fix the request annotation or rule", {
        service: name,
      });
    }
  });
  return found.filter((s): s is Service => s !== undefined);
}
