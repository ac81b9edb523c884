/**
 * Which PagerDuty services a request concerns: the services to open incidents in (from the
 * Access Monitoring Rules whose conditions hold, else the notify annotation) and the services
 * whose on-call responders may be auto-approved (the services annotation). Pure: the
 * requester's traits are looked up by the caller, and only when a rule reads them.
 *
 * @module
 */

import type { AccessMonitoringRule, AccessRequest } from "../teleport/types.ts";
import { type ConditionEnv, ConditionError, parseCondition } from "./condition.ts";

/** A user's traits, as a condition reads them under `user.traits`. */
export type UserTraits = Readonly<Record<string, readonly string[]>>;

/**
 * The values of one annotation, trimmed, without empties, de-duplicated ignoring case (the first
 * spelling wins), in their original order.
 */
export function namesFromAnnotation(request: AccessRequest, annotation: string): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const raw of request.systemAnnotations[annotation] ?? []) {
    const name = raw.trim();
    const key = name.toLowerCase();
    if (name === "" || seen.has(key)) continue;
    seen.add(key);
    names.push(name);
  }
  return names;
}

/** Where the notify services came from, for logs. */
export type RoutingSource = "access_monitoring_rule" | "annotation" | "none";

/** A rule that could not be evaluated, and why. */
export interface RuleError {
  readonly rule: AccessMonitoringRule;
  readonly message: string;
}

/** The services to notify and why; rules that could not be evaluated are named. */
export interface NotifyRouting {
  readonly serviceNames: readonly string[];
  readonly source: RoutingSource;
  readonly ruleErrors: readonly RuleError[];
}

/**
 * Whether a rule routes this plugin's notifications, as Teleport's plugins decide it: it names
 * the plugin and has `access_request` among its subjects. Its `states` do not matter here
 * (Teleport reads them only for automatic reviews), nor does the request's state.
 */
export function routesPlugin(rule: AccessMonitoringRule, plugin: string): boolean {
  return rule.notificationName === plugin && rule.subjects.includes("access_request");
}

/**
 * Whether any rule routing `plugin` reads `user.traits`, so the requester must be looked up
 * before routing (rules that cannot be parsed need nothing: they are reported instead).
 */
export function rulesNeedUserTraits(
  rules: Iterable<AccessMonitoringRule>,
  plugin: string,
): boolean {
  for (const rule of rules) {
    if (!routesPlugin(rule, plugin)) continue;
    try {
      if (parseCondition(rule.condition).usesUserTraits) return true;
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
    }
  }
  return false;
}

/** The facts a rule's condition reads about a request. */
export function conditionEnv(
  request: AccessRequest,
  userTraits: UserTraits,
  plugin: string,
): ConditionEnv {
  return {
    user: request.user,
    roles: request.roles,
    suggestedReviewers: request.suggestedReviewers,
    systemAnnotations: request.systemAnnotations,
    requestReason: request.requestReason,
    creationTime: request.created,
    expiry: request.requestExpires,
    userTraits,
    pluginName: plugin,
  };
}

/**
 * The services to open incidents in: the recipients of every Access Monitoring Rule whose
 * condition holds for the request, or, when none holds, the values of the notify annotation.
 */
export function notifyRouting(
  request: AccessRequest,
  rules: Iterable<AccessMonitoringRule>,
  options: { notifyAnnotation: string; pluginName: string; userTraits: UserTraits },
): NotifyRouting {
  const env = conditionEnv(request, options.userTraits, options.pluginName);
  const ruleErrors: RuleError[] = [];
  const fromRules = new Map<string, string>();
  for (const rule of rules) {
    if (!routesPlugin(rule, options.pluginName)) continue;
    let holds = false;
    try {
      holds = parseCondition(rule.condition).evaluate(env);
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
      ruleErrors.push({ rule, message: error.message });
    }
    if (!holds) continue;
    for (const raw of rule.recipients) {
      const name = raw.trim();
      if (name !== "" && !fromRules.has(name.toLowerCase())) {
        fromRules.set(name.toLowerCase(), name);
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
