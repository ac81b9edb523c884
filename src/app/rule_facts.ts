/**
 * What evaluating Access Monitoring Rules needs beyond the request: the requester's traits,
 * read from Teleport and kept briefly (a burst of requests from one user reads them once), and
 * the memory of which rules were already reported as impossible to evaluate, so each is said
 * once rather than on every request.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { type AccessMonitoringRule, type AuthClient, TeleportError } from "../teleport/types.ts";
import type { UserTraits } from "./routing.ts";

/** How long a user's traits are reused before they are read again. */
export const TRAITS_TTL_MS = 60_000;
/** Users whose traits are kept at most; the oldest are dropped beyond it. */
const MAX_USERS = 10_000;

const log = getLogger(["teleport-pagerduty", "app"]);

/** The requester's traits and the rule reports, shared by every run. */
export class RuleFacts {
  readonly #auth: Pick<AuthClient, "getUser">;
  readonly #clock: () => number;
  readonly #traits = new Map<string, { until: number; traits: Promise<UserTraits> }>();
  readonly #reported = new Set<string>();
  #deniedSaid = false;

  /** Reads users through `auth`; `clock` is the wall clock in milliseconds. */
  constructor(auth: Pick<AuthClient, "getUser">, clock: () => number) {
    this.#auth = auth;
    this.#clock = clock;
  }

  /**
   * The user's traits, as Teleport's plugins read them for `user.traits`. A role that may not
   * read users gets none, and says so once; a user Teleport does not have has none. Any other
   * failure throws, so the work is retried rather than routed on missing facts.
   */
  userTraits(name: string): Promise<UserTraits> {
    const now = this.#clock();
    const cached = this.#traits.get(name);
    if (cached && cached.until > now) return cached.traits;
    if (this.#traits.size >= MAX_USERS) {
      for (const [user, entry] of this.#traits) {
        if (entry.until <= now || this.#traits.size >= MAX_USERS) this.#traits.delete(user);
      }
    }
    const traits = this.#read(name);
    this.#traits.set(name, { until: now + TRAITS_TTL_MS, traits });
    traits.catch(() => {
      if (this.#traits.get(name)?.traits === traits) this.#traits.delete(name);
    });
    return traits;
  }

  async #read(name: string): Promise<UserTraits> {
    try {
      return (await this.#auth.getUser(name)).traits;
    } catch (error) {
      if (!(error instanceof TeleportError)) throw error;
      if (error.kind === "not_found") {
        log.debug("Teleport has no user {user}; Access Monitoring Rules see no user.traits", {
          user: name,
        });
        return {};
      }
      if (error.kind !== "permission_denied") throw error;
      if (!this.#deniedSaid) {
        this.#deniedSaid = true;
        log.warn(
          "The plugin's Teleport role cannot read users, so Access Monitoring Rules see no " +
            "user.traits: add the rule user: [read] to it (as the preset access-plugin role has) " +
            "({error})",
          { error: error.message },
        );
      }
      return {};
    }
  }

  /** Says once per rule (and per version of its condition) that it cannot be evaluated. */
  reportUnusable(rule: AccessMonitoringRule, message: string): void {
    const key = `${rule.name}\n${rule.condition}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    log.warn(
      "Access Monitoring Rule {rule} cannot be evaluated, so it routes no request: {message}; " +
        "fix its condition with `tctl edit access_monitoring_rule/{rule}`",
      { rule: rule.name, message, condition: rule.condition },
    );
  }
}
