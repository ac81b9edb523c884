/**
 * The fake's role model: an explicit, per-user grant of verbs on resource kinds plus review
 * rights, enough to reproduce Teleport's PERMISSION_DENIED answers. The caller of every RPC is
 * the CN of its client certificate.
 *
 * @module
 */

import { accessDenied, actionDenied, type AuthError } from "./errors.ts";

/** An RBAC verb, as in Teleport role rules. */
export type Verb = "list" | "read" | "create" | "update" | "delete";

/** What a user may do. */
export interface Permissions {
  /** Allowed verbs per resource kind, e.g. `{ access_request: ["list", "read"] }`. */
  readonly rules?: Readonly<Record<string, readonly Verb[]>>;
  /**
   * `review_requests`: absent or false = may not review; true = may review requests for any
   * role; `{ roles }` = only requests whose every role is listed.
   */
  readonly review?: boolean | { readonly roles: readonly string[] };
  /** The builtin Admin role: every action, and reviews on behalf of others. */
  readonly admin?: boolean;
}

/**
 * What the Teleport docs' `access-plugin` role grants (`access_request: list, read, update`,
 * `access_plugin_data: update`), plus reading users and access monitoring rules and
 * `review_requests`, which a plugin that auto-approves needs.
 */
export const ACCESS_PLUGIN_PERMISSIONS: Permissions = {
  rules: {
    access_request: ["list", "read", "update"],
    access_plugin_data: ["update"],
    access_monitoring_rule: ["list", "read"],
    user: ["read"],
    role: ["list", "read"],
  },
  review: true,
};

/**
 * {@linkcode ACCESS_PLUGIN_PERMISSIONS} plus `lock: [create, update, read]`, what the plugin's
 * role needs when access ends with the shift or with the incident.
 */
export const ACCESS_PLUGIN_WITH_LOCKS_PERMISSIONS: Permissions = {
  ...ACCESS_PLUGIN_PERMISSIONS,
  rules: { ...ACCESS_PLUGIN_PERMISSIONS.rules, lock: ["create", "update", "read"] },
};

/** No rights at all: what an unknown certificate user gets. */
export const NO_PERMISSIONS: Permissions = {};

/** Whether `permissions` allow `verb` on `kind`. */
export function allows(permissions: Permissions, kind: string, verb: Verb): boolean {
  return permissions.admin === true || (permissions.rules?.[kind]?.includes(verb) ?? false);
}

/** The denial for the first of `verbs` not allowed on `kind`, or undefined when all are. */
export function missingVerb(
  permissions: Permissions,
  kind: string,
  verbs: readonly Verb[],
): AuthError | undefined {
  const missing = verbs.find((verb) => !allows(permissions, kind, verb));
  return missing === undefined ? undefined : actionDenied(missing, kind);
}

/**
 * Throws unless one of the alternatives (kind plus all its verbs) is allowed; the error names
 * the first alternative, as Teleport reports the primary kind.
 */
export function requireAny(
  permissions: Permissions,
  alternatives: ReadonlyArray<readonly [kind: string, verbs: readonly Verb[]]>,
): void {
  const errors = alternatives.map(([kind, verbs]) => missingVerb(permissions, kind, verbs));
  if (errors.some((e) => e === undefined)) return;
  throw errors[0];
}

/** Whether the user may review at all (`MaybeCanReviewRequests`). */
export function mayReview(permissions: Permissions): boolean {
  return permissions.admin === true || permissions.review !== undefined &&
      permissions.review !== false;
}

/** Whether the user may review a request for these roles (own requests aside). */
export function mayReviewRoles(permissions: Permissions, roles: readonly string[]): boolean {
  if (permissions.admin === true || permissions.review === true) return true;
  if (permissions.review === undefined || permissions.review === false) return false;
  const allowed = permissions.review.roles;
  return roles.every((role) => allowed.includes(role));
}

/** Teleport's denial for a user who has no review rights. */
export function cannotSubmitReviews(user: string): AuthError {
  return accessDenied(`user "${user}" cannot submit reviews`);
}
