/**
 * Carries out the lifecycle decisions for one request: reads the record, asks `decide.ts` what
 * to do, and does it against PagerDuty and Teleport in an order that survives crashes —
 * PagerDuty first (idempotent by incident key, or checked on retries), the record after, so
 * nothing is marked done before PagerDuty confirmed it.
 *
 * @module
 */

import { getLogger, type Logger } from "@logtape/logtape";
import type { AutoApprovalConfig } from "../config/types.ts";
import {
  type Incident,
  type PagerDutyApi,
  PagerDutyError,
  type Service,
} from "../pagerduty/types.ts";
import {
  type AccessMonitoringRule,
  type AccessRequest,
  type AuthClient,
  type PluginDataMap,
  TeleportError,
} from "../teleport/types.ts";
import {
  FINAL_REFUSALS,
  isEmail,
  judgeOnCalls,
  requesterEmail,
  rolesAllowed,
  singleUser,
  type Verdict,
} from "./auto_approval.ts";
import {
  type Action,
  decideForDeleted,
  decideForRequest,
  servicesWithoutIncident,
} from "./decide.ts";
import {
  autoApprovalReason,
  incidentDetails,
  incidentKey,
  incidentTitle,
  noteContent,
  outcomeText,
  requestLink,
} from "./messages.ts";
import { type LifecycleObserver, NO_OBSERVER } from "./observer.ts";
import {
  decodeRecord,
  encodeRecord,
  PLUGIN_NAME,
  type RequestRecord,
  type Resolution,
  withIncident,
  withRequestFacts,
} from "./plugin_data.ts";
import { modifyPluginData } from "../teleport/plugin_data.ts";
import { MAX_SERVICE_NAMES, namesFromAnnotation, namesOverCap, notifyRouting } from "./routing.ts";

/** Work for one request: its latest known state, and when the service first heard of it. */
export type Work =
  | {
    readonly kind: "put";
    readonly request: AccessRequest;
    readonly firstSeen: number;
    /** Live watch event, or found by a resync/reconciliation. */
    readonly source: "watch" | "resync";
  }
  | { readonly kind: "delete"; readonly firstSeen: number; readonly source: "watch" | "resync" };

/** Newer work replaces older, except that a deletion is final; the earliest sighting is kept. */
export function mergeWork(older: Work, newer: Work): Work {
  const firstSeen = Math.min(older.firstSeen, newer.firstSeen);
  if (older.kind === "delete") return { ...older, firstSeen };
  return { ...newer, firstSeen };
}

/** Everything the processor needs. */
export interface ProcessorOptions {
  readonly auth: AuthClient;
  readonly pagerduty: PagerDutyApi;
  /** The service's own Teleport user, the author of its reviews. */
  readonly selfUser: string;
  /** Proxy public address for request links; empty for none. */
  readonly proxyAddr: () => string;
  /** Current Access Monitoring Rules for this plugin. */
  readonly rules: () => Iterable<AccessMonitoringRule>;
  readonly notifyAnnotation: string;
  readonly servicesAnnotation: string;
  readonly urgency: "high" | "low";
  readonly priority?: string;
  readonly autoApproval: AutoApprovalConfig;
  readonly observer?: LifecycleObserver;
  /** Clock for latency figures; `performance.now` by default. */
  readonly now?: () => number;
  /** Attempts at a compare-and-swap before giving up this round. */
  readonly casAttempts?: number;
}

/** The executor of lifecycle decisions. */
export class RequestProcessor {
  readonly #o: ProcessorOptions;
  readonly #observer: LifecycleObserver;
  readonly #now: () => number;
  readonly #log = getLogger(["teleport-pagerduty", "app"]);

  /** Creates a processor. */
  constructor(options: ProcessorOptions) {
    this.#o = options;
    this.#observer = options.observer ?? NO_OBSERVER;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Brings one request's incidents up to date with `work`. Throws when something failed; the
   * queue retries, and every step is safe to repeat.
   */
  async process(requestId: string, work: Work, attempt: number): Promise<void> {
    const log = this.#log.with({ request_id: requestId });
    log.debug("Handling {kind} from {source} (attempt {attempt})", {
      kind: work.kind,
      source: work.source,
      attempt,
    });
    const { record, raw } = await this.#read(requestId);
    const action: Action = work.kind === "put"
      ? decideForRequest(work.request, record, {
        selfUser: this.#o.selfUser,
        autoApprovalEnabled: this.#o.autoApproval.enabled,
        approvalServiceNames: namesFromAnnotation(work.request, this.#o.servicesAnnotation),
      })
      : decideForDeleted(record);
    switch (action.type) {
      case "none":
        log.debug("Nothing to do: {why}", { why: action.why });
        return;
      case "pending":
        if (work.kind !== "put") return;
        try {
          await this.#pending(
            work,
            action,
            record,
            raw,
            attempt > 1 || work.source !== "watch",
            log,
          );
        } catch (error) {
          if (!await this.#isGone(requestId, error)) throw error;
          // Listed, then deleted with the DELETE unseen: retrying the put could never succeed.
          log.info("The request no longer exists; handling it as deleted");
          await this.process(
            requestId,
            { kind: "delete", firstSeen: work.firstSeen, source: "resync" },
            attempt,
          );
        }
        return;
      case "resolve":
        await this.#resolve(
          requestId,
          work,
          action,
          record,
          raw,
          attempt > 1 || work.source !== "watch",
          log,
        );
        return;
    }
  }

  /** Whether `error` says the request is missing, and Teleport confirms it is gone. */
  async #isGone(requestId: string, error: unknown): Promise<boolean> {
    if (!(error instanceof TeleportError && error.kind === "not_found")) return false;
    return await this.#o.auth.getAccessRequest(requestId) === undefined;
  }

  async #read(requestId: string): Promise<{ record: RequestRecord; raw: PluginDataMap }> {
    const raw = await this.#o.auth.getPluginData(requestId, PLUGIN_NAME) ?? {};
    return { record: decodeRecord(raw), raw };
  }

  async #pending(
    work: Work & { kind: "put" },
    action: Action & { type: "pending" },
    initial: RequestRecord,
    initialRaw: PluginDataMap,
    recovering: boolean,
    log: Logger,
  ): Promise<void> {
    const request = work.request;
    let record = initial;
    let raw = initialRaw;
    const { services: targets, omitted } = await this.#notifyTargets(request, log);
    const missing = servicesWithoutIncident(targets, record);
    if (missing.length > 0) {
      ({ record, raw } = await this.#announce(request, raw, missing));
      // Another instance resolved the request meanwhile: nothing is to be opened any more.
      if (record.resolution !== "") return;
    }
    for (const service of servicesWithoutIncident(targets, record)) {
      const incident = await this.#o.pagerduty.createIncident({
        title: incidentTitle(request),
        serviceId: service.id,
        incidentKey: incidentKey(request.id),
        details: incidentDetails(request, requestLink(this.#o.proxyAddr(), request.id), {
          omittedServices: omitted,
        }),
        urgency: this.#o.urgency,
        priority: this.#o.priority,
      });
      ({ record, raw } = await this.#recordIncident(request, service, incident, raw, log));
      if (record.incidents[service.id] === incident.id) {
        this.#observer.incidentCreated(
          work.source === "watch" ? (this.#now() - work.firstSeen) / 1000 : undefined,
        );
        log.info("Opened incident {incident_id} in service {service}", {
          incident_id: incident.id,
          service: service.name,
        });
      }
    }
    const incidents = uniqueIncidents(record);
    if (action.newReviews.length > 0 && incidents.length > 0) {
      const content = noteContent(action.newReviews, undefined);
      for (const incidentId of incidents) {
        if (await this.#addNote(incidentId, content, recovering)) {
          this.#observer.noteAdded("review");
        }
      }
      ({ record, raw } = await this.#update(
        request.id,
        raw,
        (current) =>
          current.reviewsCount >= request.reviews.length
            ? undefined
            : { ...current, reviewsCount: request.reviews.length },
      ));
      log.info("Noted {count} review(s) on {incidents} incident(s)", {
        count: action.newReviews.length,
        incidents: incidents.length,
      });
    }
    if (action.autoApprove) await this.#autoApprove(request, raw, log);
  }

  /**
   * Looks up the services to notify; names PagerDuty does not know are logged and skipped, and
   * so are names beyond the per-request cap (`omitted`).
   */
  async #notifyTargets(
    request: AccessRequest,
    log: Logger,
  ): Promise<{ services: Service[]; omitted: number }> {
    const routing = notifyRouting(request, this.#o.rules(), {
      notifyAnnotation: this.#o.notifyAnnotation,
      pluginName: PLUGIN_NAME,
    });
    for (const { rule, message } of routing.ruleErrors) {
      log.warn(
        "Access Monitoring Rule {rule} was skipped: its condition is not understood ({message})",
        {
          rule,
          message,
        },
      );
    }
    if (routing.serviceNames.length === 0) {
      log.debug("No service to notify: annotation {annotation} is missing or empty", {
        annotation: this.#o.notifyAnnotation,
      });
      return { services: [], omitted: 0 };
    }
    if (routing.omitted > 0) logOverCap(log, "notified", routing.omitted);
    const services = await this.#findServices(routing.serviceNames, log);
    // Two names may differ only in spelling yet resolve to the same service.
    return {
      services: [...new Map(services.map((s) => [s.id, s])).values()],
      omitted: routing.omitted,
    };
  }

  async #findServices(names: readonly string[], log: Logger): Promise<Service[]> {
    const found = await Promise.all(names.map((n) => this.#o.pagerduty.findServiceByName(n)));
    names.forEach((name, i) => {
      if (!found[i]) {
        log.warn("PagerDuty has no service named {service}: fix the request annotation or rule", {
          service: name,
        });
      }
    });
    return found.filter((s): s is Service => s !== undefined);
  }

  /**
   * Writes the services about to get an incident into `opening` before PagerDuty is asked, so an
   * incident opened just before a crash (and never recorded) is found by its key and resolved.
   */
  #announce(
    request: AccessRequest,
    raw: PluginDataMap,
    services: readonly Service[],
  ): Promise<{ record: RequestRecord; raw: PluginDataMap }> {
    return this.#update(request.id, raw, (current) => {
      if (current.resolution !== "") return undefined;
      const ids = services.map((s) => s.id)
        .filter((id) => !current.incidents[id] && !current.opening.includes(id));
      if (ids.length === 0) return undefined;
      const base = current.incidentId === "" ? withRequestFacts(current, request) : current;
      return { ...base, opening: [...current.opening, ...ids] };
    });
  }

  /**
   * Records an incident after PagerDuty confirmed it. When another instance recorded a different
   * incident for the same service first, ours is a duplicate and is resolved; when another
   * instance resolved the request meanwhile, ours came late and is resolved with its outcome.
   * `raw` is what this work last read or wrote: the compare-and-swap catches any
   * change since, so no fresh read is needed first.
   */
  async #recordIncident(
    request: AccessRequest,
    service: Service,
    incident: Incident,
    raw: PluginDataMap,
    log: Logger,
  ): Promise<{ record: RequestRecord; raw: PluginDataMap }> {
    let duplicateOf: string | undefined;
    let lateFor: { resolution: Exclude<Resolution, "">; reason: string } | undefined;
    let result = await this.#update(request.id, raw, (current) => {
      const existing = current.incidents[service.id];
      if (existing === incident.id) return undefined;
      if (existing) {
        duplicateOf = existing;
        return undefined;
      }
      if (current.resolution !== "") {
        lateFor = { resolution: current.resolution, reason: current.resolveReason };
        return undefined;
      }
      const base = current.incidentId === "" ? withRequestFacts(current, request) : current;
      return withIncident(base, service.id, incident.id);
    });
    if (duplicateOf !== undefined && duplicateOf !== incident.id) {
      await this.#o.pagerduty.resolveIncident(
        incident.id,
        `Duplicate of incident ${duplicateOf}, opened by another instance for the same request.`,
      );
      this.#observer.incidentResolved("duplicate");
      log.warn("Resolved duplicate incident {incident_id}; {kept} is kept", {
        incident_id: incident.id,
        kept: duplicateOf,
      });
    }
    if (lateFor !== undefined) {
      const { resolution, reason } = lateFor;
      // PagerDuty first, the record after: a crash in between leaves nothing open.
      await this.#o.pagerduty.addNote(incident.id, noteContent([], lateFor));
      await this.#o.pagerduty.resolveIncident(incident.id, outcomeText(resolution, reason));
      this.#observer.incidentResolved(resolution);
      log.warn("Resolved incident {incident_id}, opened after the request was {resolution}", {
        incident_id: incident.id,
        resolution,
      });
      result = await this.#modify(
        request.id,
        (current) =>
          current.incidents[service.id]
            ? undefined
            : withIncident(current, service.id, incident.id),
      );
    }
    return result;
  }

  async #resolve(
    requestId: string,
    work: Work,
    action: Action & { type: "resolve" },
    record: RequestRecord,
    raw: PluginDataMap,
    recovering: boolean,
    log: Logger,
  ): Promise<void> {
    const outcome = { resolution: action.resolution, reason: action.reason };
    const content = noteContent(action.newReviews, outcome);
    const incidents = await this.#incidentsToResolve(requestId, record);
    // An incident found by its key may be resolved already, by us before a crash.
    const lookBefore = recovering || record.opening.length > 0;
    for (const incidentId of new Set(Object.values(incidents))) {
      // After a failure or a restart the note may already be there: look before writing.
      if (lookBefore && await this.#alreadyResolved(incidentId)) continue;
      if (await this.#addNote(incidentId, content, lookBefore)) {
        this.#observer.noteAdded("resolution");
      }
      await this.#o.pagerduty.resolveIncident(
        incidentId,
        outcomeText(action.resolution, action.reason),
      );
      this.#observer.incidentResolved(action.resolution);
      log.info("Resolved incident {incident_id}: request {resolution}", {
        incident_id: incidentId,
        resolution: action.resolution,
      });
    }
    const handled = new Set([...Object.keys(incidents), ...record.opening]);
    const reviews = work.kind === "put" ? work.request.reviews.length : record.reviewsCount;
    // Against the record read at the start: the compare-and-swap catches any change since.
    await this.#update(requestId, raw, (current) => {
      if (current.resolution !== "") return undefined;
      // Another instance recorded or announced an incident meanwhile: resolve that one first.
      const added = [...Object.keys(current.incidents), ...current.opening]
        .filter((serviceId) => !handled.has(serviceId));
      if (added.length > 0) throw new RecordChangedError(requestId, added);
      let next = current;
      for (const [serviceId, incidentId] of Object.entries(incidents)) {
        if (!next.incidents[serviceId]) next = withIncident(next, serviceId, incidentId);
      }
      return {
        ...next,
        opening: [],
        resolution: action.resolution,
        resolveReason: action.reason,
        reviewsCount: Math.max(current.reviewsCount, reviews),
      };
    });
  }

  /**
   * The recorded incidents by service, plus those of `opening` services found in PagerDuty by
   * their key (opened before a crash, never recorded).
   */
  async #incidentsToResolve(
    requestId: string,
    record: RequestRecord,
  ): Promise<Record<string, string>> {
    const incidents: Record<string, string> = { ...record.incidents };
    for (const serviceId of record.opening) {
      if (incidents[serviceId]) continue;
      const found = await this.#o.pagerduty.findIncidentByKey(incidentKey(requestId), serviceId);
      if (found) incidents[serviceId] = found.id;
    }
    return incidents;
  }

  /**
   * Adds a note, unless `lookFirst` and the same note is already there: after a failure or a
   * restart it may have been added by the attempt whose answer was lost. Returns whether it
   * added one.
   */
  async #addNote(incidentId: string, content: string, lookFirst: boolean): Promise<boolean> {
    if (lookFirst) {
      const notes = await this.#o.pagerduty.listNotes(incidentId);
      if (notes.some((note) => note.content === content)) return false;
    }
    await this.#o.pagerduty.addNote(incidentId, content);
    return true;
  }

  /** Whether PagerDuty shows the incident resolved (or gone, which needs no resolving either). */
  async #alreadyResolved(incidentId: string): Promise<boolean> {
    try {
      return (await this.#o.pagerduty.getIncident(incidentId)).status === "resolved";
    } catch (error) {
      if (error instanceof PagerDutyError && error.status === 404) return true;
      throw error;
    }
  }

  async #autoApprove(
    request: AccessRequest,
    raw: PluginDataMap,
    log: Logger,
  ): Promise<void> {
    let verdict: Verdict;
    let who: { name: string; email: string } | undefined;
    try {
      ({ verdict, who } = await this.#judge(request));
    } catch (error) {
      this.#observer.autoApproval("error");
      throw error;
    }
    if (!verdict.approve) {
      this.#observer.autoApproval(verdict.reason);
      log.info("Not auto-approved: {detail}", { detail: verdict.detail, reason: verdict.reason });
      if (FINAL_REFUSALS.has(verdict.reason)) {
        await this.#update(
          request.id,
          raw,
          (current) =>
            current.autoApproval !== "" ? undefined : { ...current, autoApproval: "not_eligible" },
        );
      }
      return;
    }
    const reason = autoApprovalReason(who!, verdict.matches);
    let outcome: "approved" | "already_reviewed" = "approved";
    try {
      await this.#o.auth.submitReview(request.id, {
        author: this.#o.selfUser,
        decision: "APPROVED",
        reason,
      });
    } catch (error) {
      if (!isSettledReviewError(error)) {
        this.#observer.autoApproval("error");
        throw error;
      }
      outcome = "already_reviewed";
    }
    this.#observer.autoApproval(outcome);
    log.info("Auto-approved: {reason}", { reason, outcome });
    await this.#update(
      request.id,
      raw,
      (current) =>
        current.autoApproval === "approved" ? undefined : { ...current, autoApproval: "approved" },
    );
  }

  /** Runs the auto-approval checks in order, stopping at the first refusal. */
  async #judge(
    request: AccessRequest,
  ): Promise<{ verdict: Verdict; who?: { name: string; email: string } }> {
    const config = this.#o.autoApproval;
    const roles = rolesAllowed(request.roles, config);
    if (!roles.approve) return { verdict: roles };
    const traits = !isEmail(request.user) && config.emailTrait
      ? (await this.#o.auth.getUser(request.user)).traits
      : undefined;
    const email = requesterEmail(request.user, traits, config.emailTrait);
    if ("refusal" in email) return { verdict: email.refusal };
    const user = singleUser(email.email, await this.#o.pagerduty.findUsersByEmail(email.email));
    if ("approve" in user) return { verdict: user };
    const names = namesFromAnnotation(request, this.#o.servicesAnnotation);
    const log = this.#log.with({ request_id: request.id });
    const omitted = namesOverCap(request, this.#o.servicesAnnotation);
    if (omitted > 0) logOverCap(log, "checked for on-call responders", omitted);
    const services = await this.#findServices(names, log);
    const policyIds = [...new Set(services.map((s) => s.escalationPolicyId))];
    const onCalls = policyIds.length === 0
      ? []
      : await this.#o.pagerduty.listOnCalls({ userId: user.id, escalationPolicyIds: policyIds });
    return { verdict: judgeOnCalls(user.id, services, onCalls, config), who: user };
  }

  /** Reads the record fresh and applies `change` with compare-and-swap. */
  #modify(
    requestId: string,
    change: (current: RequestRecord) => RequestRecord | undefined,
  ): Promise<{ record: RequestRecord; raw: PluginDataMap }> {
    return this.#update(requestId, undefined, change);
  }

  /**
   * Applies `change` with compare-and-swap, starting from `raw` (the data this work last read or
   * wrote; undefined reads it first); on a conflict, re-reads and tries again. `change` returning
   * undefined means nothing to write. Keys of other writers are kept.
   */
  async #update(
    requestId: string,
    raw: PluginDataMap | undefined,
    change: (current: RequestRecord) => RequestRecord | undefined,
  ): Promise<{ record: RequestRecord; raw: PluginDataMap }> {
    const result = await modifyPluginData(this.#o.auth, requestId, PLUGIN_NAME, (current) => {
      const next = change(decodeRecord(current));
      return next && { ...current, ...encodeRecord(next) };
    }, { known: raw, maxAttempts: this.#o.casAttempts ?? 8 });
    const data = result.data ?? {};
    return { record: decodeRecord(data), raw: data };
  }
}

/** The record gained incidents while they were being resolved; the retry resolves them too. */
class RecordChangedError extends Error {
  constructor(requestId: string, serviceIds: readonly string[]) {
    super(
      `Request ${requestId} gained incidents in service(s) ${
        serviceIds.join(", ")
      } while its incidents were being resolved (another instance?); resolving again.`,
    );
    this.name = "RecordChangedError";
  }
}

/** Says that a request named more services than the cap allows, and what became of them. */
function logOverCap(log: Logger, purpose: string, omitted: number): void {
  log.warn(
    "The request names {omitted} service(s) more than the {max} that are {purpose}; they are ignored",
    { omitted, max: MAX_SERVICE_NAMES, purpose },
  );
}

function uniqueIncidents(record: RequestRecord): string[] {
  return [...new Set(Object.values(record.incidents))];
}

/** A review that cannot be added because one exists or the request is already decided. */
function isSettledReviewError(error: unknown): boolean {
  if (!(error instanceof TeleportError)) return false;
  if (error.kind === "already_exists") return true;
  return error.kind === "permission_denied" && /has been already (approved|denied|promoted)/
    .test(error.message);
}
