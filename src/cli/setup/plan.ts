/**
 * What `setup-pagerduty` must change, as plain functions of what it found: the desired objects
 * (one webhook subscription per service, two workflows with a manual trigger on every service,
 * two Custom Incident Actions per service) compared with the existing ones. What already matches
 * yields an `ok` step, so a second run plans no change at all.
 *
 * @module
 */

import type {
  Extension,
  IncidentWorkflow,
  WebhookSubscription,
  WorkflowTrigger,
} from "../../pagerduty/setup_types.ts";
import type { Service } from "../../pagerduty/types.ts";
import {
  ACTION_NAMES,
  ACTION_SECRET_HEADER,
  type Decision,
  DECISIONS,
  type Endpoints,
  secretFileOf,
  WEBHOOK_EVENTS,
} from "./endpoints.ts";
import type { FileState } from "./secret_files.ts";

/** A service named on the command line, found in PagerDuty. */
export type ServiceRef = Pick<Service, "id" | "name">;

/** One change (or confirmation) for the webhook subscriptions. */
export type SubscriptionStep =
  | {
    readonly kind: "ok";
    readonly service: ServiceRef;
    readonly subscription: WebhookSubscription;
  }
  | { readonly kind: "create"; readonly service: ServiceRef; readonly secretFile: string }
  /** Its secret is nowhere any more: delete it and create it again. */
  | {
    readonly kind: "recreate";
    readonly service: ServiceRef;
    readonly subscription: WebhookSubscription;
    readonly secretFile: string;
  }
  | {
    readonly kind: "update";
    readonly service: ServiceRef;
    readonly subscription: WebhookSubscription;
    readonly events?: readonly string[];
    readonly activate?: true;
  }
  | {
    readonly kind: "enable";
    readonly service: ServiceRef;
    readonly subscription: WebhookSubscription;
  }
  /** More than one subscription delivers the service's events here: each event would come twice. */
  | {
    readonly kind: "duplicates";
    readonly service: ServiceRef;
    readonly keep: WebhookSubscription;
    readonly others: readonly WebhookSubscription[];
  }
  /** A subscription must be created but no `webhook_secrets` file is free for its secret. */
  | { readonly kind: "no-secret-file"; readonly service: ServiceRef }
  /** Subscriptions this command made for another public address (an old one, or another install). */
  | {
    readonly kind: "elsewhere";
    readonly service: ServiceRef;
    readonly subscriptions: readonly WebhookSubscription[];
  };

/** Plans the webhook subscriptions: one per service, delivering our events to our URL. */
export function planSubscriptions(input: {
  readonly services: readonly ServiceRef[];
  readonly endpoints: Endpoints;
  /** Every subscription of each service, by service ID. */
  readonly existing: ReadonlyMap<string, readonly WebhookSubscription[]>;
  /** `webhook_secrets` files in config order, with what each holds now. */
  readonly secretFiles: ReadonlyArray<{ readonly path: string; readonly state: FileState }>;
}): SubscriptionStep[] {
  const ours = new Map(
    input.services.map((s) => [
      s.id,
      (input.existing.get(s.id) ?? []).filter((sub) => sub.url === input.endpoints.webhookUrl),
    ]),
  );
  const paths = new Set(input.secretFiles.map((f) => f.path));
  const filled = new Set(input.secretFiles.filter((f) => f.state === "filled").map((f) => f.path));
  // A file named by a subscription of ours is that subscription's, full or not.
  const taken = new Set<string>();
  for (const subs of ours.values()) {
    for (const sub of subs) {
      const file = secretFileOf(sub.description);
      if (file !== undefined) taken.add(file);
    }
  }
  const free = input.secretFiles
    .filter((f) => f.state !== "filled" && !taken.has(f.path))
    .map((f) => f.path);

  const steps: SubscriptionStep[] = [];
  for (const service of input.services) {
    const subs = ours.get(service.id)!;
    if (subs.length === 0) {
      const secretFile = free.shift();
      steps.push(
        secretFile === undefined
          ? { kind: "no-secret-file", service }
          : { kind: "create", service, secretFile },
      );
      continue;
    }
    // Keep the one whose secret is known to be stored, else the oldest listed.
    const keep = subs.find((s) => filled.has(secretFileOf(s.description) ?? "")) ?? subs[0];
    const others = subs.filter((s) => s !== keep);
    const file = secretFileOf(keep.description);
    if (file !== undefined && paths.has(file) && !filled.has(file)) {
      steps.push({ kind: "recreate", service, subscription: keep, secretFile: file });
    } else {
      const events = sameSet(keep.events, WEBHOOK_EVENTS) ? undefined : WEBHOOK_EVENTS;
      if (events !== undefined || !keep.active) {
        steps.push({
          kind: "update",
          service,
          subscription: keep,
          ...(events === undefined ? {} : { events }),
          ...(keep.active ? {} : { activate: true as const }),
        });
      }
      if (keep.temporarilyDisabled) steps.push({ kind: "enable", service, subscription: keep });
      if (events === undefined && keep.active && !keep.temporarilyDisabled) {
        steps.push({ kind: "ok", service, subscription: keep });
      }
    }
    if (others.length > 0) steps.push({ kind: "duplicates", service, keep, others });
  }
  for (const service of input.services) {
    const elsewhere = (input.existing.get(service.id) ?? []).filter((s) =>
      s.url !== input.endpoints.webhookUrl && secretFileOf(s.description) !== undefined
    );
    if (elsewhere.length > 0) steps.push({ kind: "elsewhere", service, subscriptions: elsewhere });
  }
  return steps;
}

/** A manual workflow as found: the workflow and its manual triggers. */
export interface FoundWorkflow {
  readonly workflow: IncidentWorkflow;
  readonly triggers: readonly WorkflowTrigger[];
}

/** One change (or confirmation) for the workflows. */
export type WorkflowStep =
  | {
    readonly kind: "ok";
    readonly decision: Decision;
    readonly workflow: IncidentWorkflow;
  }
  /** Creates the workflow and its manual trigger on the services. */
  | {
    readonly kind: "create";
    readonly decision: Decision;
    readonly services: readonly ServiceRef[];
  }
  | {
    readonly kind: "create-trigger";
    readonly decision: Decision;
    readonly workflow: IncidentWorkflow;
    readonly services: readonly ServiceRef[];
  }
  | {
    readonly kind: "add-services";
    readonly decision: Decision;
    readonly workflow: IncidentWorkflow;
    readonly trigger: WorkflowTrigger;
    readonly services: readonly ServiceRef[];
  }
  /** Someone turned the workflow off; whether to turn it on is theirs to decide. */
  | { readonly kind: "disabled"; readonly decision: Decision; readonly workflow: IncidentWorkflow };

/** Plans both workflows: each exists and is offered by a manual trigger on every service. */
export function planWorkflows(input: {
  readonly services: readonly ServiceRef[];
  /** The workflows with each decision's name, by decision. */
  readonly found: Readonly<Record<Decision, readonly FoundWorkflow[]>>;
}): WorkflowStep[] {
  const steps: WorkflowStep[] = [];
  for (const decision of DECISIONS) {
    const candidates = input.found[decision];
    const chosen = candidates.find((c) => c.workflow.enabled) ?? candidates[0];
    if (chosen === undefined) {
      steps.push({ kind: "create", decision, services: input.services });
      continue;
    }
    const { workflow, triggers } = chosen;
    const covered = new Set(triggers.flatMap((t) => t.serviceIds));
    const missing = triggers.some((t) => t.allServices)
      ? []
      : input.services.filter((s) => !covered.has(s.id));
    if (triggers.length === 0) {
      steps.push({ kind: "create-trigger", decision, workflow, services: input.services });
    } else if (missing.length > 0) {
      steps.push({
        kind: "add-services",
        decision,
        workflow,
        trigger: triggers[0],
        services: missing,
      });
    } else {
      steps.push({ kind: "ok", decision, workflow });
    }
    if (!workflow.enabled) steps.push({ kind: "disabled", decision, workflow });
  }
  return steps;
}

/** One change (or confirmation) for the Custom Incident Actions. */
export type ActionStep =
  /** The action secret file is missing or empty: a new random secret is written into it. */
  | { readonly kind: "generate-secret"; readonly path: string }
  | {
    readonly kind: "ok";
    readonly decision: Decision;
    readonly service: ServiceRef;
    readonly extension: Extension;
    /** PagerDuty hid the header's value, so it could not be compared. */
    readonly headerUnverified: boolean;
  }
  | { readonly kind: "create"; readonly decision: Decision; readonly service: ServiceRef }
  | {
    readonly kind: "update";
    readonly decision: Decision;
    readonly service: ServiceRef;
    readonly extension: Extension;
    /** What differs, e.g. "endpoint", "secret header". */
    readonly differences: readonly string[];
  };

/** Plans the two actions on every service, pointing at our endpoints with our secret header. */
export function planActions(input: {
  readonly services: readonly ServiceRef[];
  readonly endpoints: Endpoints;
  /** The Custom Incident Actions of each service, by service ID. */
  readonly existing: ReadonlyMap<string, readonly Extension[]>;
  /** The action secret; undefined when a new one is to be generated into `secretFile`. */
  readonly secret: string | undefined;
  readonly secretFile?: string;
}): ActionStep[] {
  const steps: ActionStep[] = [];
  const generated = input.secret === undefined;
  if (generated) steps.push({ kind: "generate-secret", path: input.secretFile! });
  for (const service of input.services) {
    const actions = input.existing.get(service.id) ?? [];
    for (const decision of DECISIONS) {
      const url = input.endpoints.actionUrls[decision];
      const extension = actions.find((e) => e.endpointUrl === url) ??
        actions.find((e) => e.name === ACTION_NAMES[decision]);
      if (extension === undefined) {
        steps.push({ kind: "create", decision, service });
        continue;
      }
      const header = extension.headers.find((h) => sameHeader(h.name));
      const differences: string[] = [];
      if (extension.name !== ACTION_NAMES[decision]) differences.push("name");
      if (extension.endpointUrl !== url) differences.push("endpoint");
      if (
        header === undefined || generated ||
        (header.value !== undefined && header.value !== input.secret)
      ) {
        differences.push("secret header");
      }
      steps.push(
        differences.length > 0 ? { kind: "update", decision, service, extension, differences } : {
          kind: "ok",
          decision,
          service,
          extension,
          headerUnverified: header?.value === undefined,
        },
      );
    }
  }
  return steps;
}

/** Whether a header name is the action secret's (header names ignore case). */
export function sameHeader(name: string): boolean {
  return name.toLowerCase() === ACTION_SECRET_HEADER.toLowerCase();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  return left.size === new Set(b).size && b.every((x) => left.has(x));
}
