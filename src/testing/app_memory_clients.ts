/**
 * In-process stand-ins for the Teleport and PagerDuty clients, built on the fakes' own stores
 * (`AuthStore`, `Account`), so executor unit tests get the real systems' semantics (CAS on
 * plugin data, review thresholds, incident-key dedup, note limits) without a network. Each call
 * can be intercepted once, to drive one branch on purpose: run something just before a call
 * (a racing instance writes), fail it before it happens, or let it happen and lose the answer.
 *
 * @module
 */

import { accessRequestView, AuthStore, userView } from "../fakes/auth/store.ts";
import { NO_OBSERVER } from "../app/observer.ts";
import type { ProcessorDeps } from "../app/processor.ts";
import { RuleFacts } from "../app/rule_facts.ts";
import { DEFAULT_ACCESS_END } from "../config/access_end.ts";
import { AuthError } from "../fakes/auth/errors.ts";
import { lockTarget, lockView } from "../fakes/auth/locks.ts";
import { Account } from "../fakes/pagerduty/state.ts";
import { PdHttpError } from "../fakes/pagerduty/errors.ts";
import {
  type CallOptions,
  type Incident,
  type NewIncident,
  type Note,
  type OnCall,
  type PagerDutyApi,
  PagerDutyError,
  type Service,
  type User,
} from "../pagerduty/types.ts";
import {
  type AccessMonitoringRule,
  type AccessRequest,
  type AuthClient,
  type ClusterInfo,
  type Lock,
  type LockQuery,
  type NewLock,
  type PluginDataMap,
  type PluginDataRecord,
  type ReviewSubmission,
  TeleportError,
  type TeleportErrorKind,
  type TeleportUser,
} from "../teleport/types.ts";

/** What happens to the next call of one operation. */
export type Interception =
  /** Runs `before` first, then the call as usual. */
  | { readonly kind: "before"; readonly before: () => void }
  /** Fails without doing anything. */
  | { readonly kind: "fail"; readonly error: Error }
  /** Does the work, then fails as if the answer were lost on the way back. */
  | { readonly kind: "lose_answer" };

/** One-shot interceptions by operation name, and the calls made. */
class Calls<Op extends string> {
  readonly #next = new Map<Op, Interception[]>();
  readonly made: Op[] = [];

  intercept(op: Op, interception: Interception): void {
    this.#next.set(op, [...(this.#next.get(op) ?? []), interception]);
  }

  count(op: Op): number {
    return this.made.filter((made) => made === op).length;
  }

  async run<T>(op: Op, work: () => T, lost: () => Error): Promise<T> {
    this.made.push(op);
    await Promise.resolve();
    const queue = this.#next.get(op) ?? [];
    const interception = queue.shift();
    if (queue.length === 0) this.#next.delete(op);
    if (interception?.kind === "before") interception.before();
    if (interception?.kind === "fail") throw interception.error;
    const result = work();
    if (interception?.kind === "lose_answer") throw lost();
    return result;
  }
}

/** Operations of {@linkcode InMemoryAuth}. */
export type AuthOp = keyof AuthClient;

const KIND_BY_CODE: Record<number, TeleportErrorKind> = {
  5: "not_found",
  6: "already_exists",
  7: "permission_denied",
  9: "compare_failed",
  3: "invalid_argument",
};

/** An {@linkcode AuthClient} on an {@linkcode AuthStore}, acting as `user`. */
export class InMemoryAuth implements AuthClient {
  readonly store: AuthStore;
  readonly calls = new Calls<AuthOp>();

  /** Creates the client; the store is shared with the test. */
  constructor(store = new AuthStore()) {
    this.store = store;
  }

  ping(): Promise<ClusterInfo> {
    return this.#run("ping", () => ({
      clusterName: "memory",
      serverVersion: "18.0.0",
      proxyPublicAddr: "",
    } as ClusterInfo));
  }

  listPendingRequests(): AsyncIterable<AccessRequest> {
    return this.#list((r) => r.state === "PENDING");
  }

  listAccessRequests(): AsyncIterable<AccessRequest> {
    return this.#list(() => true);
  }

  getAccessRequest(id: string): Promise<AccessRequest | undefined> {
    return this.#run("getAccessRequest", () => {
      const request = this.store.request(id);
      return request && accessRequestView(request);
    });
  }

  getPluginData(requestId: string, plugin: string): Promise<PluginDataMap | undefined> {
    return this.#run("getPluginData", () => {
      const entries = this.store.pluginData(requestId, plugin)[0]?.entries.get(plugin);
      return entries && Object.fromEntries(entries);
    });
  }

  listPluginData(plugin: string): Promise<PluginDataRecord[]> {
    return this.#run(
      "listPluginData",
      () =>
        this.store.pluginDataResources().flatMap((requestId) => {
          const entries = this.store.pluginData(requestId, plugin)[0]?.entries.get(plugin);
          return entries ? [{ requestId, data: Object.fromEntries(entries) }] : [];
        }),
    );
  }

  updatePluginData(
    requestId: string,
    plugin: string,
    set: PluginDataMap,
    expect: PluginDataMap,
  ): Promise<void> {
    return this.#run(
      "updatePluginData",
      () => this.store.updatePluginData(requestId, plugin, set, expect),
    );
  }

  submitReview(requestId: string, review: ReviewSubmission): Promise<AccessRequest> {
    return this.#run("submitReview", () =>
      accessRequestView(this.store.applyReview(requestId, {
        author: review.author,
        decision: review.decision,
        reason: review.reason,
      })));
  }

  getUser(name: string): Promise<TeleportUser> {
    return this.#run("getUser", () => {
      const user = this.store.user(name);
      if (!user) throw new AuthError(5, `user ${JSON.stringify(name)} is not found`);
      return userView(user);
    });
  }

  upsertLock(lock: NewLock): Promise<void> {
    return this.#run("upsertLock", () => {
      const expires = lock.expires?.getTime();
      this.store.locks.upsert({
        name: lock.name,
        target: lockTarget({ accessRequest: lock.target.accessRequest }),
        message: lock.message,
        expires,
        deleteAt: expires,
        createdBy: "teleport-plugin",
      });
    });
  }

  getLock(name: string): Promise<Lock | undefined> {
    return this.#run("getLock", () => {
      const stored = this.store.locks.find(name);
      return stored && lockView(stored);
    });
  }

  getLocks(query: LockQuery): Promise<Lock[]> {
    return this.#run("getLocks", () => {
      const targets = (query.accessRequests ?? []).map((id) => lockTarget({ accessRequest: id }));
      return this.store.locks.list(targets, query.inForceOnly ?? false).map(lockView);
    });
  }

  listAccessMonitoringRules(plugin: string): Promise<AccessMonitoringRule[]> {
    return this.#run(
      "listAccessMonitoringRules",
      () => this.store.rules().filter((r) => r.notificationName === plugin),
    );
  }

  async *#list(keep: (r: AccessRequest) => boolean): AsyncIterable<AccessRequest> {
    const all = await this.#run(
      "listAccessRequests",
      () => [...this.store.requests()].map(accessRequestView),
    );
    yield* all.filter(keep);
  }

  async #run<T>(op: AuthOp, work: () => T): Promise<T> {
    try {
      return await this.calls.run(
        op,
        work,
        () => new TeleportError("unavailable", `the answer to ${op} was lost`),
      );
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      throw new TeleportError(KIND_BY_CODE[error.code] ?? "unknown", error.message, {
        grpcCode: error.code,
      });
    }
  }
}

/** Operations of {@linkcode InMemoryPagerDuty}. */
export type PagerDutyOp = keyof PagerDutyApi;

/** A {@linkcode PagerDutyApi} on an {@linkcode Account}, writing as `actorId`. */
export class InMemoryPagerDuty implements PagerDutyApi {
  readonly account: Account;
  readonly actorId: string;
  readonly calls = new Calls<PagerDutyOp>();
  readonly #clock: () => Date;

  /** Creates the client; the account is shared with the test. */
  constructor(account: Account, actorId: string, clock: () => Date = () => new Date()) {
    this.account = account;
    this.actorId = actorId;
    this.#clock = clock;
  }

  findServiceByName(name: string): Promise<Service | undefined> {
    return this.#run("findServiceByName", () => {
      const found = this.account.services().find((s) =>
        s.name.toLowerCase() === name.toLowerCase()
      );
      return found && this.#service(found.id);
    });
  }

  getService(id: string): Promise<Service> {
    return this.#run("getService", () => this.#service(id));
  }

  findUsersByEmail(email: string): Promise<User[]> {
    return this.#run("findUsersByEmail", () =>
      this.account.users()
        .filter((u) => u.email.toLowerCase() === email.toLowerCase())
        .map((u) => ({ id: u.id, name: u.name, email: u.email })));
  }

  getUser(id: string): Promise<User> {
    return this.#run("getUser", () => {
      const u = this.account.user(id);
      if (!u) {
        throw new PagerDutyError(`no user ${id}`, { status: 404, operation: "GET /users/{id}" });
      }
      return { id: u.id, name: u.name, email: u.email, teamIds: [...u.teamIds] };
    });
  }

  listOnCalls(
    query: { userId: string; escalationPolicyIds: readonly string[] },
  ): Promise<OnCall[]> {
    return this.#run("listOnCalls", () => {
      const now = this.#clock().getTime();
      return this.account.onCalls()
        .filter((o) =>
          o.userId === query.userId && query.escalationPolicyIds.includes(o.escalationPolicyId) &&
          (o.start === undefined || o.start.getTime() <= now) &&
          (o.end === undefined || o.end.getTime() > now)
        )
        .map((o) => ({
          userId: o.userId,
          escalationPolicyId: o.escalationPolicyId,
          escalationLevel: o.level,
          scheduleId: o.scheduleId,
          start: o.start,
          end: o.end,
        }));
    });
  }

  createIncident(incident: NewIncident, options?: CallOptions): Promise<Incident> {
    return this.#run("createIncident", () => {
      try {
        return this.#incident(
          this.account.createIncident(
            {
              title: incident.title,
              serviceId: incident.serviceId,
              incidentKey: incident.incidentKey,
              details: incident.details,
              urgency: incident.urgency,
            },
            this.actorId,
            this.#clock(),
          ).id,
        );
      } catch (error) {
        // The real client turns the dedup refusal into the open incident with the key.
        const open = this.account.incidentsWithKey(incident.incidentKey)
          .find((i) => i.serviceId === incident.serviceId && i.status !== "resolved");
        if (error instanceof PdHttpError && error.status === 400 && open) {
          return this.#incident(open.id);
        }
        throw error;
      }
    }, options);
  }

  getIncident(id: string): Promise<Incident> {
    return this.#run("getIncident", () => this.#incident(id));
  }

  listOpenIncidents(serviceIds: readonly string[]): Promise<Incident[]> {
    return this.#run("listOpenIncidents", () =>
      this.account.incidents()
        .filter((i) => i.status !== "resolved" && serviceIds.includes(i.serviceId))
        .map((i) => this.#incident(i.id)));
  }

  findIncidentByKey(incidentKey: string, serviceId: string): Promise<Incident | undefined> {
    return this.#run("findIncidentByKey", () => {
      const matches = this.account.incidentsWithKey(incidentKey)
        .filter((i) => i.serviceId === serviceId);
      const chosen = matches.find((i) => i.status !== "resolved") ?? matches.at(-1);
      return chosen && this.#incident(chosen.id);
    });
  }

  addNote(incidentId: string, content: string, options?: CallOptions): Promise<Note> {
    return this.#run("addNote", () => {
      const note = this.account.addNote(incidentId, content, this.actorId, this.#clock());
      return { id: note.id, content: note.content };
    }, options);
  }

  listNotes(incidentId: string): Promise<Note[]> {
    return this.#run(
      "listNotes",
      () => this.account.notes(incidentId).map((n) => ({ id: n.id, content: n.content })),
    );
  }

  resolveIncident(
    incidentId: string,
    resolution?: string,
    options?: CallOptions,
  ): Promise<Incident> {
    return this.#run("resolveIncident", () => {
      if (this.account.incident(incidentId)?.status !== "resolved") {
        this.account.updateIncident(
          incidentId,
          { status: "resolved", resolution },
          this.actorId,
          this.#clock(),
        );
      }
      return this.#incident(incidentId);
    }, options);
  }

  listAbilities(): Promise<string[]> {
    return this.#run("listAbilities", () => []);
  }

  #service(id: string): Service {
    const s = this.account.service(id);
    if (!s) {
      throw new PagerDutyError(`no service ${id}`, {
        status: 404,
        operation: "GET /services/{id}",
      });
    }
    return { id: s.id, name: s.name, escalationPolicyId: s.escalationPolicyId, htmlUrl: "" };
  }

  #incident(id: string): Incident {
    const i = this.account.incident(id);
    if (!i) {
      throw new PagerDutyError(`no incident ${id}`, {
        status: 404,
        operation: "GET /incidents/{id}",
      });
    }
    return {
      id: i.id,
      number: i.number,
      title: i.title,
      status: i.status,
      incidentKey: i.incidentKey ?? "",
      serviceId: i.serviceId,
      serviceName: this.account.service(i.serviceId)?.name ?? "",
      htmlUrl: `https://memory.pagerduty.com/incidents/${i.id}`,
      assigneeIds: [...new Set(i.assignments.map((a) => a.userId))],
      acceptedResponderIds: i.responders.filter((r) => r.state === "joined").map((r) => r.userId),
    };
  }

  async #run<T>(op: PagerDutyOp, work: () => T, options?: CallOptions): Promise<T> {
    if (options?.signal?.aborted) {
      throw new PagerDutyError(`${op} was cancelled`, { status: 0, operation: op });
    }
    try {
      return await this.calls.run(
        op,
        work,
        () => new PagerDutyError(`the answer to ${op} was lost`, { status: 0, operation: op }),
      );
    } catch (error) {
      if (!(error instanceof PdHttpError)) throw error;
      throw new PagerDutyError(`PagerDuty answered ${error.status} to ${op}`, {
        status: error.status,
        operation: op,
      });
    }
  }
}

/**
 * Executor dependencies on the in-memory clients, with what every executor test shares; each
 * test overrides only what it is about (and always says how auto-approval is configured).
 */
export function memoryProcessorDeps(
  clients: { auth: InMemoryAuth; pagerduty: InMemoryPagerDuty; clock: () => number },
  overrides: Partial<ProcessorDeps> & Pick<ProcessorDeps, "autoApproval">,
): ProcessorDeps {
  const { auth, pagerduty, clock } = clients;
  return {
    auth,
    pagerduty,
    selfUser: "teleport-plugin",
    proxyAddr: () => "",
    rules: () => [],
    ruleFacts: new RuleFacts(auth, clock),
    notifyAnnotation: "pagerduty_notify_service",
    servicesAnnotation: "pagerduty_services",
    accessEnd: DEFAULT_ACCESS_END,
    observer: NO_OBSERVER,
    now: () => performance.now(),
    clock,
    instanceId: "instance-a",
    casAttempts: 8,
    jobHandlers: {},
    ...overrides,
  };
}
