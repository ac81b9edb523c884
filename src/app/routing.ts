/**
 * Which PagerDuty services a request concerns: the services to open incidents in (from an
 * Access Monitoring Rule that applies, else the notify annotation) and the services whose
 * on-call responders may be auto-approved (the services annotation).
 *
 * @module
 */

import type { AccessMonitoringRule, AccessRequest } from "../teleport/types.ts";
import { asciiLowerCase } from "../ascii.ts";
import { ConditionError, evaluateCondition } from "./condition.ts";

/**
 * The most service names one request may name, per purpose (services to notify, services whose
 * on-call responders are approved). Each name costs PagerDuty look-ups from the shared rate
 * budget: 500 names once cost about 33 s of it for one request.
 */
export const MAX_SERVICE_NAMES = 10;

/** Trimmed, without empties, de-duplicated ignoring ASCII case (first spelling wins), in order. */
function distinctNames(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const raw of values) {
    const name = raw.trim();
    const key = asciiLowerCase(name);
    if (name === "" || seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

/**
 * The values of one annotation, trimmed, without empties, de-duplicated ignoring ASCII case (the
 * first spelling wins), in their original order: the first {@link MAX_SERVICE_NAMES} of them.
 */
export function namesFromAnnotation(request: AccessRequest, annotation: string): string[] {
  return distinctNames(request.systemAnnotations[annotation] ?? []).slice(0, MAX_SERVICE_NAMES);
}

/** How many names of the annotation {@link namesFromAnnotation} leaves out. */
export function namesOverCap(request: AccessRequest, annotation: string): number {
  return Math.max(
    0,
    distinctNames(request.systemAnnotations[annotation] ?? []).length - MAX_SERVICE_NAMES,
  );
}

/** Where the notify services came from, for logs. */
export type RoutingSource = "access_monitoring_rule" | "annotation" | "none";

/** The services to notify and why; rules that could not be evaluated are named. */
export interface NotifyRouting {
  /** At most {@link MAX_SERVICE_NAMES}. */
  readonly serviceNames: readonly string[];
  /** Names beyond the cap, left out. */
  readonly omitted: number;
  readonly source: RoutingSource;
  readonly ruleErrors: readonly { rule: string; message: string }[];
}

/** Whether an Access Monitoring Rule applies to a pending request for this plugin. */
function ruleApplies(rule: AccessMonitoringRule, request: AccessRequest, plugin: string): boolean {
  if (!rule.subjects.includes("access_request")) return false;
  if (rule.notificationName !== plugin) return false;
  if (rule.states.length > 0 && !rule.states.some((s) => s.toLowerCase() === "pending")) {
    return false;
  }
  return evaluateCondition(rule.condition, {
    user: request.user,
    roles: request.roles,
    suggestedReviewers: request.suggestedReviewers,
    systemAnnotations: request.systemAnnotations,
    requestReason: request.requestReason,
    pluginName: plugin,
  });
}

/**
 * The services to open incidents in: the recipients of every Access Monitoring Rule that
 * applies to the request, or, when none applies, the values of the notify annotation.
 */
export function notifyRouting(
  request: AccessRequest,
  rules: Iterable<AccessMonitoringRule>,
  options: { notifyAnnotation: string; pluginName: string },
): NotifyRouting {
  const ruleErrors: { rule: string; message: string }[] = [];
  const recipients: string[] = [];
  for (const rule of rules) {
    let applies = false;
    try {
      applies = ruleApplies(rule, request, options.pluginName);
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
      ruleErrors.push({ rule: rule.name, message: error.message });
    }
    if (applies) recipients.push(...rule.recipients);
  }
  const fromRules = distinctNames(recipients);
  if (fromRules.length > 0) {
    return {
      serviceNames: fromRules.slice(0, MAX_SERVICE_NAMES),
      omitted: Math.max(0, fromRules.length - MAX_SERVICE_NAMES),
      source: "access_monitoring_rule",
      ruleErrors,
    };
  }
  const fromAnnotation = namesFromAnnotation(request, options.notifyAnnotation);
  return {
    serviceNames: fromAnnotation,
    omitted: namesOverCap(request, options.notifyAnnotation),
    source: fromAnnotation.length > 0 ? "annotation" : "none",
    ruleErrors,
  };
}
