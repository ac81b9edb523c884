/**
 * Which PagerDuty services a request concerns: the services to open incidents in (from the
 * Access Monitoring Rules whose conditions hold, else the notify annotation) and the services
 * whose on-call responders may be auto-approved (the services annotation). Pure: the
 * requester's traits are looked up by the caller, and only when a rule reads them.
 *
 * @module
 */

import type { AccessMonitoringRule, AccessRequest } from "../teleport/types.ts";
import { asciiLowerCase } from "../ascii.ts";
import { type ConditionEnv, ConditionError, parseCondition } from "./condition.ts";

/**
 * The most service names one request may name, per purpose (services to notify, services whose
 * on-call responders are approved). Each name costs PagerDuty look-ups from the shared rate
 * budget: 500 names once cost about 33 s of it for one request.
 */
export const MAX_SERVICE_NAMES = 10;

/** A user's traits, as a condition reads them under `user.traits`. */
export type UserTraits = Readonly<Record<string, readonly string[]>>;

/** Trimmed, without empties, de-duplicated ignoring ASCII case (first spelling wins), in order. */
function distinctNames(values: Iterable<string>): string[] {
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

/** A rule that could not be evaluated, and why. */
export interface RuleError {
  readonly rule: AccessMonitoringRule;
  readonly message: string;
}

/** The services to notify and why; rules that could not be evaluated are named. */
export interface NotifyRouting {
  /** At most {@link MAX_SERVICE_NAMES}. */
  readonly serviceNames: readonly string[];
  /** Names beyond the cap, left out. */
  readonly omitted: number;
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
  const recipients: string[] = [];
  for (const rule of rules) {
    if (!routesPlugin(rule, options.pluginName)) continue;
    let holds = false;
    try {
      holds = parseCondition(rule.condition).evaluate(env);
    } catch (error) {
      if (!(error instanceof ConditionError)) throw error;
      ruleErrors.push({ rule, message: error.message });
    }
    if (holds) recipients.push(...rule.recipients);
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
