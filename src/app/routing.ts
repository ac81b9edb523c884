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
 * The values of one annotation, trimmed, without empties, de-duplicated ignoring ASCII case (the first
 * spelling wins), in their original order.
 */
export function namesFromAnnotation(request: AccessRequest, annotation: string): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const raw of request.systemAnnotations[annotation] ?? []) {
    const name = raw.trim();
    const key = asciiLowerCase(name);
    if (name === "" || seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

/** Where the notify services came from, for logs. */
export type RoutingSource = "access_monitoring_rule" | "annotation" | "none";

/** The services to notify and why; rules that could not be evaluated are named. */
export interface NotifyRouting {
  readonly serviceNames: readonly string[];
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
  const fromRules = new Map<string, string>();
  for (const rule of rules) {
    let applies = false;
    try {
      applies = ruleApplies(rule, request, options.pluginName);
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
      ruleErrors.push({ rule: rule.name, message: error.message });
    }
    if (!applies) continue;
    for (const raw of rule.recipients) {
      const name = raw.trim();
      if (name !== "" && !fromRules.has(asciiLowerCase(name))) {
        fromRules.set(asciiLowerCase(name), name);
      }
    }
  }
  if (fromRules.size > 0) {
    return { serviceNames: [...fromRules.values()], source: "access_monitoring_rule", ruleErrors };
  }
  const fromAnnotation = namesFromAnnotation(request, options.notifyAnnotation);
  return {
    serviceNames: fromAnnotation,
    source: fromAnnotation.length > 0 ? "annotation" : "none",
    ruleErrors,
  };
}
