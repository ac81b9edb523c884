/**
 * Collects what happens on both fakes while the demo runs, as one list of timestamped entries:
 * on the Teleport side requests created, reviewed, decided, locked and deleted, and the service's
 * plugin data writes; on the PagerDuty side incidents opened, annotated and resolved, the
 * service's on-call look-ups, and the signed webhooks PagerDuty sends the service for people's
 * actions. Everything here is read from the fakes' own change feeds, so the demo can
 * print only what really happened.
 *
 * @module
 */

import { PLUGIN_NAME } from "../app/plugin_data.ts";
import type { PluginDataChange, StoredRequest, StoreEvent } from "../fakes/auth/store.ts";
import type { AccountEvent, DeliveryResult, RecordedCall } from "../fakes/pagerduty/mod.ts";
import { PLUGIN_USER, type World } from "../fakes/world.ts";
import type { Lock } from "../teleport/types.ts";

/** Which system an entry happened in. */
export type Side = "teleport" | "pagerduty";

/**
 * Who caused an entry: the service under demonstration, Teleport or PagerDuty themselves, or a
 * named person.
 */
export type Actor =
  | { readonly kind: "service" }
  | { readonly kind: "teleport" }
  | { readonly kind: "pagerduty" }
  | { readonly kind: "person"; readonly name: string };

/** One thing that happened on a fake. */
export interface TimelineEntry {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Order of recording, to keep entries of the same millisecond in the order they happened. */
  readonly seq: number;
  readonly side: Side;
  readonly actor: Actor;
  /** One line saying what happened. */
  readonly text: string;
  /** Text shown beneath it as is (e.g. a note's content). */
  readonly detail?: readonly string[];
}

/** Plugin data keys worth spelling out; the others (copies of request facts) are only named. */
const SHOWN_KEYS = [
  "incident_id",
  "service_id",
  "reviews_count",
  "auto_approval",
  "resolution",
  "resolve_reason",
  "incident_approval",
  "locked",
];

/** The executor's bookkeeping (leases, note markers): not shown, since nothing happens by them. */
const HIDDEN_KEYS = ["lease", "posting", "outcome_noted", "jobs_done", "notices"];

/** Long values (a review reason copied into `resolve_reason`) are cut in the timeline. */
const MAX_VALUE = 48;

const SERVICE: Actor = { kind: "service" };
const TELEPORT: Actor = { kind: "teleport" };
const PAGERDUTY: Actor = { kind: "pagerduty" };

/** Whether a review the service submitted carries out a decision made in PagerDuty. */
export function decidedInPagerDuty(reason: string): boolean {
  return /^(Approved|Denied) in PagerDuty by /.test(reason);
}

/** Whether a review the service submitted approves a responder of a cited incident. */
export function approvedForIncident(reason: string): boolean {
  return / who is (assigned to|an accepted responder on) PagerDuty incident /.test(reason);
}

/** What the timeline remembers of a request, to tell what changed in the next PUT. */
interface Seen {
  readonly state: string;
  readonly reviews: number;
}

/** The timeline of one demo run, fed by the fakes of `world`. */
export class Timeline {
  readonly #world: World;
  readonly #clock: () => number;
  readonly #entries: TimelineEntry[] = [];
  readonly #requests = new Map<string, Seen>();
  readonly #pluginData = new Map<string, Readonly<Record<string, string>>>();
  readonly #listeners = new Set<() => void>();
  readonly #unsubscribe: Array<() => void> = [];
  #seq = 0;
  #taken = 0;
  #callsSeen = 0;
  #deliveriesSeen = 0;

  /** Starts listening to both fakes of `world`; {@linkcode close} stops it. */
  constructor(world: World, clock: () => number = Date.now) {
    this.#world = world;
    this.#clock = clock;
    this.#unsubscribe.push(
      world.auth.onEvent((event) => this.#onAuthEvent(event)),
      world.auth.store.onPluginDataChange((change) => this.#onPluginData(change)),
      world.pagerduty.account.subscribe((event) => this.#onIncidentEvent(event)),
      world.auth.onLock((lock) => this.#onLock(lock)),
    );
  }

  /** Calls `listener` after every new entry; returns a function that stops it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The entries recorded since the last call, in the order they happened. */
  take(): TimelineEntry[] {
    this.#collectCalls();
    this.#collectDeliveries();
    const fresh = this.#entries.slice(this.#taken);
    this.#taken = this.#entries.length;
    return fresh.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** Stops listening to the fakes. */
  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#listeners.clear();
  }

  #add(entry: Omit<TimelineEntry, "seq">): void {
    this.#entries.push({ ...entry, seq: this.#seq++ });
    for (const listener of this.#listeners) listener();
  }

  #onAuthEvent(event: StoreEvent): void {
    if (event.kind !== "access_request") return;
    const at = this.#clock();
    if (event.op === "delete") {
      this.#requests.delete(event.id);
      this.#add({
        at,
        side: "teleport",
        actor: TELEPORT,
        text: `deleted request ${shortId(event.id)}; watchers get a DELETE event`,
      });
      return;
    }
    const request = event.request;
    const seen = this.#requests.get(request.id);
    if (seen === undefined) this.#created(at, request);
    for (const review of request.reviews.slice(seen?.reviews ?? 0)) {
      const byService = review.author === PLUGIN_USER;
      const label = !byService
        ? "reviewed"
        : decidedInPagerDuty(review.reason)
        ? "for the responder: reviewed"
        : approvedForIncident(review.reason)
        ? "incident access: reviewed"
        : "auto-approval: reviewed";
      this.#add({
        at,
        side: "teleport",
        actor: byService ? SERVICE : { kind: "person", name: review.author },
        text: `${label} request ${shortId(request.id)}: ${review.decision}${
          review.reason ? ` "${review.reason}"` : ""
        }`,
      });
    }
    if (seen !== undefined && seen.state !== request.state) {
      this.#add({
        at,
        side: "teleport",
        actor: TELEPORT,
        text: `request ${shortId(request.id)} is now ${request.state}`,
      });
    }
    this.#requests.set(request.id, { state: request.state, reviews: request.reviews.length });
  }

  #onLock(lock: Lock): void {
    const request = lock.target.accessRequest;
    this.#add({
      at: this.#clock(),
      side: "teleport",
      actor: lock.createdBy === PLUGIN_USER ? SERVICE : { kind: "person", name: lock.createdBy },
      text: `locked ${request ? `request ${shortId(request)}` : lock.name}: every certificate ` +
        `issued from it stops working`,
      detail: [`lock ${lock.name}: "${lock.message}"`],
    });
  }

  #created(at: number, request: StoredRequest): void {
    const annotations = Object.entries(request.systemAnnotations)
      .map(([key, values]) => `${key}=${values.join(",")}`);
    this.#add({
      at,
      side: "teleport",
      actor: { kind: "person", name: request.user },
      text: `created request ${shortId(request.id)} for roles ${request.roles.join(", ")}` +
        (request.requestReason ? `: "${request.requestReason}"` : ""),
      detail: annotations.length > 0 ? [`annotations: ${annotations.join("; ")}`] : undefined,
    });
  }

  #onPluginData(change: PluginDataChange): void {
    if (change.plugin !== PLUGIN_NAME) return;
    // The service writes every key each time; what changed is what the entry says.
    const before = this.#pluginData.get(change.resource) ?? {};
    this.#pluginData.set(change.resource, change.data);
    const changed = Object.keys(change.set).filter((key) =>
      (change.data[key] ?? "") !== (before[key] ?? "") && !HIDDEN_KEYS.includes(key) &&
      // A job's own progress is bookkeeping too; a job stored or finished is not.
      (key !== "scheduled" || jobCount(change.data[key]) !== jobCount(before[key]))
    );
    if (changed.length === 0) return;
    const shown = SHOWN_KEYS.filter((key) => changed.includes(key))
      .map((key) => `${key}=${clip(change.data[key] ?? "(deleted)", MAX_VALUE)}`);
    // Scheduled jobs are JSON; how many wait is what matters here.
    if (changed.includes("scheduled")) shown.push(`scheduled=${jobCount(change.data.scheduled)}`);
    const others = changed.filter((key) => !SHOWN_KEYS.includes(key) && key !== "scheduled");
    // Keys whose values are not shown are named after the shown ones, or alone.
    const parts = shown.length === 0
      ? others
      : [...shown, ...(others.length > 0 ? [`and ${others.join(", ")}`] : [])];
    this.#add({
      at: this.#clock(),
      side: "teleport",
      actor: SERVICE,
      text: `wrote plugin data on request ${shortId(change.resource)}: ${
        parts.length > 0 ? parts.join(", ") : "no change"
      }`,
    });
  }

  #onIncidentEvent(event: AccountEvent): void {
    const incident = event.incident;
    const actor = this.#pagerDutyActor(event.agentId);
    const at = event.at.getTime();
    const label = `incident #${incident.number}`;
    switch (event.type) {
      case "incident.triggered": {
        const service = this.#world.pagerduty.account.service(incident.serviceId)?.name ??
          incident.serviceId;
        const paged = incident.assignments
          .map((a) => this.#world.pagerduty.account.user(a.userId)?.name ?? a.userId);
        this.#add({
          at,
          side: "pagerduty",
          actor,
          text: `opened ${label} in "${service}" (urgency ${incident.urgency}` +
            `${paged.length > 0 ? `, paging ${paged.join(", ")}` : ""}): "${incident.title}"`,
        });
        return;
      }
      case "incident.annotated":
        this.#add({
          at,
          side: "pagerduty",
          actor,
          text: `added a note to ${label}:`,
          detail: event.note?.content.split("\n") ?? [],
        });
        return;
      case "incident.resolved":
        this.#add({
          at,
          side: "pagerduty",
          actor,
          text: `resolved ${label}` +
            (incident.resolution ? `: "${incident.resolution.split("\n")[0]}"` : ""),
        });
        return;
      default:
        this.#add({ at, side: "pagerduty", actor, text: `${label}: ${event.type}` });
    }
  }

  #pagerDutyActor(userId: string): Actor {
    const user = this.#world.pagerduty.account.user(userId);
    if (user === undefined || user.email === this.#world.account.bot.email) return SERVICE;
    return { kind: "person", name: user.name };
  }

  /**
   * Adds the webhooks the fake PagerDuty delivered to the service for people's actions (those
   * about the service's own notes are left out), at the time of the action.
   */
  #collectDeliveries(): void {
    const deliveries = this.#world.pagerduty.deliveries;
    for (const delivery of deliveries.slice(this.#deliveriesSeen)) this.#onDelivery(delivery);
    this.#deliveriesSeen = deliveries.length;
  }

  #onDelivery(delivery: DeliveryResult): void {
    const event = (JSON.parse(delivery.body) as {
      event: { occurred_at: string; agent: { id?: unknown } | null };
    }).event;
    const agentId = typeof event.agent?.id === "string" ? event.agent.id : "";
    if (this.#pagerDutyActor(agentId).kind === "service") return;
    const status = delivery.attempts.at(-1)?.status ?? 0;
    this.#add({
      at: Date.parse(event.occurred_at),
      side: "pagerduty",
      actor: PAGERDUTY,
      text: `sent ${delivery.eventType} to the service as a signed webhook (answered ${
        status || "nothing"
      })`,
    });
  }

  /** Adds the service's on-call look-ups, which the fake PagerDuty records as calls. */
  #collectCalls(): void {
    const calls = this.#world.pagerduty.calls;
    for (const call of calls.slice(this.#callsSeen)) {
      if (call.operationId === "listOnCalls") this.#onCallLookup(call);
    }
    this.#callsSeen = calls.length;
  }

  #onCallLookup(call: RecordedCall): void {
    const account = this.#world.pagerduty.account;
    const users = (call.query["user_ids[]"] ?? []).map((id) => account.user(id)?.name ?? id);
    const policies = (call.query["escalation_policy_ids[]"] ?? [])
      .map((id) => account.policy(id)?.name ?? id);
    this.#add({
      at: call.at.getTime(),
      side: "pagerduty",
      actor: SERVICE,
      text: `asked who is on call: GET /oncalls for ${users.join(", ") || "anyone"} in ${
        policies.join(", ") || "every escalation policy"
      } (answered ${call.status})`,
    });
  }
}

function jobCount(json: string | undefined): string {
  let count = 0;
  try {
    const value: unknown = JSON.parse(json ?? "[]");
    count = Array.isArray(value) ? value.length : 0;
  } catch {
    count = 0;
  }
  return `${count} job${count === 1 ? "" : "s"}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The last 8 characters of a request ID: the random part of a UUIDv7, unique enough to read. */
export function shortId(id: string): string {
  return id.length > 8 ? `…${id.slice(-8)}` : id;
}
