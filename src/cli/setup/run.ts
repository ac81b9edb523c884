/**
 * `setup-pagerduty`'s work: find the services, then for each part (webhook subscriptions, Incident
 * Workflows, Custom Incident Actions) read what exists, plan (`plan.ts`), and carry the plan out
 * or, in a dry run, describe it. A part PagerDuty refuses (402/403) becomes manual steps; a part
 * the account does not offer is skipped; a failure is reported and the other parts still run.
 *
 * @module
 */

import type {
  Extension,
  ExtensionInput,
  IncidentWorkflow,
  PagerDutySetupApi,
} from "../../pagerduty/setup_types.ts";
import { type PagerDutyApi, PagerDutyError } from "../../pagerduty/types.ts";
import {
  ACTION_NAMES,
  ACTION_SECRET_HEADER,
  type Decision,
  DECISIONS,
  type Endpoints,
  endpoints,
  subscriptionDescription,
  WEBHOOK_EVENTS,
  WORKFLOW_DESCRIPTIONS,
  WORKFLOW_NAMES,
} from "./endpoints.ts";
import type { SetupRequest } from "./inputs.ts";
import {
  createActionTask,
  createSubscriptionTask,
  createWorkflowTask,
  duplicatesTask,
  elsewhereTask,
  enableSubscriptionTask,
  enableWorkflowTask,
  recreateSubscriptionTask,
  type SecretWhere,
  triggerTask,
  updateActionTask,
  updateSubscriptionTask,
} from "./manual.ts";
import {
  type ActionStep,
  type FoundWorkflow,
  planActions,
  planSubscriptions,
  planWorkflows,
  sameHeader,
  type ServiceRef,
  type SubscriptionStep,
  type WorkflowStep,
} from "./plan.ts";
import type { ManualTask, Mark, ReportLine, SetupReport } from "./report.ts";
import type { SecretFiles } from "./secret_files.ts";

/** The PagerDuty calls setup makes. */
export type SetupApi = PagerDutySetupApi & Pick<PagerDutyApi, "findServiceByName">;

/** What {@link runSetup} works with. */
export interface SetupDeps {
  readonly api: SetupApi;
  readonly files: SecretFiles;
  /** A new action secret; 32 random bytes in hex by default. */
  readonly newSecret?: () => string;
}

/** A new random action secret: 256 bits, as 64 hex characters. */
export function randomSecret(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** PagerDuty's refusal of the key (403) or of the account (402), or undefined for other errors. */
function refusal(error: unknown): 402 | 403 | undefined {
  if (!(error instanceof PagerDutyError)) return undefined;
  return error.status === 402 || error.status === 403 ? error.status : undefined;
}

/** Collects the report as the parts run. */
class Report {
  readonly lines: ReportLine[] = [];
  readonly manual: ManualTask[] = [];
  readonly workflowIds: Record<Decision, string[]> = { approve: [], deny: [] };
  workflowsInUse = false;
  readonly secretsWritten: string[] = [];

  line(mark: Mark, text: string): void {
    this.lines.push({ mark, text });
  }

  byHand(text: string, task: ManualTask): void {
    this.line("manual", text);
    this.manual.push(task);
  }
}

/** Runs the set-up and reports; it throws only for bugs, every PagerDuty or file error is reported. */
export async function runSetup(request: SetupRequest, deps: SetupDeps): Promise<SetupReport> {
  const report = new Report();
  const done = (): SetupReport => ({
    dryRun: request.dryRun,
    publicAddr: request.publicAddr,
    lines: report.lines,
    manual: report.manual,
    workflowIds: report.workflowIds,
    workflowsInUse: report.workflowsInUse,
    secretsWritten: report.secretsWritten,
  });
  const services: ServiceRef[] = [];
  for (const name of request.serviceNames) {
    try {
      const service = await deps.api.findServiceByName(name);
      if (service === undefined) {
        report.line(
          "config",
          `no PagerDuty service is named "${name}": pass its exact name with --service, as the ` +
            "pagerduty_notify_service annotation gives it.",
        );
      } else {
        services.push({ id: service.id, name: service.name });
      }
    } catch (error) {
      report.line(
        "failed",
        `the PagerDuty service "${name}" could not be looked up: ${errorText(error)}`,
      );
    }
  }
  if (services.length < request.serviceNames.length) return done();
  const context: Context = {
    request,
    deps,
    report,
    services,
    urls: endpoints(request.publicAddr),
  };
  await setUpSubscriptions(context);
  await setUpWorkflows(context);
  await setUpActions(context);
  return done();
}

interface Context {
  readonly request: SetupRequest;
  readonly deps: SetupDeps;
  readonly report: Report;
  readonly services: readonly ServiceRef[];
  readonly urls: Endpoints;
}

// ---- webhook subscriptions ---------------------------------------------------------------------

async function setUpSubscriptions(ctx: Context): Promise<void> {
  const { api, files } = ctx.deps;
  const { report, services, urls } = ctx;
  const existing = new Map<string, Awaited<ReturnType<SetupApi["listWebhookSubscriptions"]>>>();
  try {
    for (const service of services) {
      existing.set(service.id, await api.listWebhookSubscriptions(service.id));
    }
  } catch (error) {
    const status = refusal(error);
    if (status === undefined) {
      report.line("failed", `webhook subscriptions could not be listed: ${errorText(error)}`);
      return;
    }
    for (const service of services) {
      report.byHand(
        `webhook subscription for "${service.name}": PagerDuty refused to list subscriptions ` +
          `(${status}), so set it up by hand`,
        createSubscriptionTask(service, urls, ctx.request.webhookSecretFiles[0]),
      );
    }
    return;
  }
  let secretFiles;
  try {
    secretFiles = await Promise.all(
      ctx.request.webhookSecretFiles.map(async (path) => ({
        path,
        state: await files.state(path),
      })),
    );
  } catch (error) {
    report.line("failed", errorText(error));
    return;
  }
  const steps = planSubscriptions({ services, endpoints: urls, existing, secretFiles });
  let refused: 402 | 403 | undefined;
  for (const step of steps) {
    if (step.kind === "ok") {
      report.line(
        "ok",
        `webhook subscription ${step.subscription.id} for "${step.service.name}": set up`,
      );
      continue;
    }
    if (step.kind === "duplicates") {
      report.byHand(
        `webhook subscriptions for "${step.service.name}": ${step.others.length} more deliver ` +
          `to ${urls.webhookUrl}`,
        duplicatesTask(step.service, step.keep, step.others),
      );
      continue;
    }
    if (step.kind === "elsewhere") {
      report.byHand(
        `webhook subscriptions for "${step.service.name}": ${
          step.subscriptions.map((s) => s.id).join(", ")
        } deliver to another address`,
        elsewhereTask(step.service, step.subscriptions),
      );
      continue;
    }
    if (step.kind === "no-secret-file") {
      report.line(
        "config",
        `webhook subscription for "${step.service.name}": no file to keep its secret in. Add ` +
          "the absolute path of a file that does not exist yet (or is empty) to " +
          "[pagerduty.reviews] webhook_secrets; PagerDuty shows the secret only once.",
      );
      continue;
    }
    if (ctx.request.dryRun) {
      report.line("planned", describeSubscriptionStep(step));
      continue;
    }
    if (refused !== undefined) {
      report.byHand(
        `${describeSubscriptionStep(step)}: left to you (PagerDuty refused ${refused})`,
        subscriptionTask(step, urls),
      );
      continue;
    }
    try {
      report.line("changed", await applySubscriptionStep(ctx, step));
    } catch (error) {
      refused = refusal(error);
      if (refused === undefined) {
        report.line("failed", `${describeSubscriptionStep(step)}: ${errorText(error)}`);
      } else {
        report.byHand(
          `${describeSubscriptionStep(step)}: PagerDuty refused it (${refused}), so do it by hand`,
          subscriptionTask(step, urls),
        );
      }
    }
  }
}

type ChangeStep = Extract<SubscriptionStep, { kind: "create" | "recreate" | "update" | "enable" }>;

function describeSubscriptionStep(step: ChangeStep): string {
  const what = `webhook subscription for "${step.service.name}"`;
  switch (step.kind) {
    case "create":
      return `create the ${what}, its secret going to ${step.secretFile}`;
    case "recreate":
      return `replace the ${what} (${step.subscription.id}), whose secret file ` +
        `${step.secretFile} is empty, its new secret going there`;
    case "update":
      return `update the ${what} (${step.subscription.id}): ${
        [
          ...(step.events === undefined ? [] : [`events ${step.events.join(", ")}`]),
          ...(step.activate ? ["active"] : []),
        ].join("; ")
      }`;
    case "enable":
      return `re-enable the ${what} (${step.subscription.id}), which PagerDuty disabled after ` +
        "refused deliveries";
  }
}

function subscriptionTask(step: ChangeStep, urls: Endpoints): ManualTask {
  switch (step.kind) {
    case "create":
      return createSubscriptionTask(step.service, urls, step.secretFile);
    case "recreate":
      return recreateSubscriptionTask(step.service, step.subscription, urls, step.secretFile);
    case "update":
      return updateSubscriptionTask(step.service, step.subscription);
    case "enable":
      return enableSubscriptionTask(step.service, step.subscription);
  }
}

async function applySubscriptionStep(ctx: Context, step: ChangeStep): Promise<string> {
  const { api } = ctx.deps;
  switch (step.kind) {
    case "create":
    case "recreate": {
      // The file must be writable before PagerDuty hands out a secret that can be shown once.
      await ctx.deps.files.prepare(step.secretFile);
      if (step.kind === "recreate") await api.deleteWebhookSubscription(step.subscription.id);
      const id = await createSubscription(ctx, step.service, step.secretFile);
      return `${step.kind === "create" ? "created" : "replaced"} the webhook subscription for ` +
        `"${step.service.name}": ${id}, its secret written to ${step.secretFile} (mode 0600)`;
    }
    case "update": {
      await api.updateWebhookSubscription(step.subscription.id, {
        ...(step.events === undefined ? {} : { events: step.events }),
        ...(step.activate ? { active: true } : {}),
      });
      return `updated the webhook subscription ${step.subscription.id} for "${step.service.name}"`;
    }
    case "enable":
      await api.enableWebhookSubscription(step.subscription.id);
      return `re-enabled the webhook subscription ${step.subscription.id} for "${step.service.name}"`;
  }
}

/** Creates the subscription and stores its secret; a secret that cannot be stored undoes it. */
async function createSubscription(
  ctx: Context,
  service: ServiceRef,
  secretFile: string,
): Promise<string> {
  const { api, files } = ctx.deps;
  const created = await api.createWebhookSubscription({
    url: ctx.urls.webhookUrl,
    description: subscriptionDescription(secretFile),
    events: WEBHOOK_EVENTS,
    serviceId: service.id,
  });
  try {
    await files.write(secretFile, created.secret.reveal());
  } catch (error) {
    const id = created.subscription.id;
    let undo: string;
    try {
      await api.deleteWebhookSubscription(id);
      undo = `so the new subscription ${id} was deleted again`;
    } catch (deleteError) {
      undo = `and the new subscription ${id} could not be deleted (${
        errorText(deleteError)
      }): delete it in PagerDuty`;
    }
    throw new Error(`${errorText(error)}; ${undo}`, { cause: error });
  }
  ctx.report.secretsWritten.push(secretFile);
  return created.subscription.id;
}

// ---- incident workflows ------------------------------------------------------------------------

async function setUpWorkflows(ctx: Context): Promise<void> {
  const { api } = ctx.deps;
  const { report, services } = ctx;
  const found: Record<Decision, FoundWorkflow[]> = { approve: [], deny: [] };
  try {
    for (const decision of DECISIONS) {
      for (const workflow of await api.findIncidentWorkflows(WORKFLOW_NAMES[decision])) {
        found[decision].push({ workflow, triggers: await api.listManualTriggers(workflow.id) });
      }
    }
  } catch (error) {
    const status = refusal(error);
    if (status === 402) {
      report.line("skipped", workflowsUnavailable());
    } else if (status === 403) {
      report.workflowsInUse = true;
      for (const decision of DECISIONS) {
        report.byHand(
          `workflow "${WORKFLOW_NAMES[decision]}": PagerDuty refused to list workflows (403), so ` +
            "create it by hand",
          createWorkflowTask(decision, services),
        );
      }
    } else {
      report.line("failed", `Incident Workflows could not be listed: ${errorText(error)}`);
    }
    return;
  }
  report.workflowsInUse = true;
  let refused: 402 | 403 | undefined;
  for (let step of planWorkflows({ services, found })) {
    if (step.kind === "ok") {
      report.workflowIds[step.decision].push(step.workflow.id);
      report.line(
        "ok",
        `workflow "${step.workflow.name}" (${step.workflow.id}): offered on every service`,
      );
      continue;
    }
    if (step.kind === "disabled") {
      report.byHand(
        `workflow "${step.workflow.name}" (${step.workflow.id}) is turned off`,
        enableWorkflowTask(step.workflow),
      );
      continue;
    }
    if (step.kind !== "create") report.workflowIds[step.decision].push(step.workflow.id);
    if (ctx.request.dryRun) {
      report.line("planned", describeWorkflowStep(step));
      continue;
    }
    if (refused !== undefined) {
      report.byHand(
        `${describeWorkflowStep(step)}: left to you (PagerDuty refused ${refused})`,
        workflowTask(step),
      );
      continue;
    }
    try {
      report.line("changed", await applyWorkflowStep(ctx, step));
    } catch (thrown) {
      let error = thrown;
      if (thrown instanceof TriggerNotCreated) {
        report.line(
          "changed",
          `created the workflow "${thrown.workflow.name}": ${thrown.workflow.id}`,
        );
        step = {
          kind: "create-trigger",
          decision: step.decision,
          workflow: thrown.workflow,
          services,
        };
        error = thrown.cause;
      }
      refused = refusal(error);
      if (refused === 402) {
        report.line("skipped", workflowsUnavailable());
        return;
      }
      if (refused === undefined) {
        report.line("failed", `${describeWorkflowStep(step)}: ${errorText(error)}`);
      } else {
        report.byHand(
          `${describeWorkflowStep(step)}: PagerDuty refused it (${refused}), so do it by hand`,
          workflowTask(step),
        );
      }
    }
  }
}

/** A workflow was created but its trigger was not; `cause` says why. */
class TriggerNotCreated extends Error {
  readonly workflow: IncidentWorkflow;

  constructor(workflow: IncidentWorkflow, cause: unknown) {
    super(`the workflow ${workflow.id} was created without its trigger`, { cause });
    this.workflow = workflow;
  }
}

function workflowsUnavailable(): string {
  return "Incident Workflows: this PagerDuty account has none (402; they come with the " +
    "Business and Enterprise plans), so responders decide with notes instead";
}

type WorkflowChange = Extract<WorkflowStep, { kind: "create" | "create-trigger" | "add-services" }>;

function describeWorkflowStep(step: WorkflowChange): string {
  const services = step.services.map((s) => `"${s.name}"`).join(", ");
  switch (step.kind) {
    case "create":
      return `create the workflow "${
        WORKFLOW_NAMES[step.decision]
      }" with a manual trigger on ${services}`;
    case "create-trigger":
      return `give the workflow "${step.workflow.name}" (${step.workflow.id}) a manual trigger on ${services}`;
    case "add-services":
      return `offer the workflow "${step.workflow.name}" (${step.workflow.id}) on ${services}`;
  }
}

function workflowTask(step: WorkflowChange): ManualTask {
  return step.kind === "create"
    ? createWorkflowTask(step.decision, step.services)
    : triggerTask(step.decision, step.workflow, step.services);
}

async function applyWorkflowStep(ctx: Context, step: WorkflowChange): Promise<string> {
  const { api } = ctx.deps;
  const serviceIds = step.services.map((s) => s.id);
  switch (step.kind) {
    case "create": {
      const workflow = await api.createIncidentWorkflow({
        name: WORKFLOW_NAMES[step.decision],
        description: WORKFLOW_DESCRIPTIONS[step.decision],
      });
      ctx.report.workflowIds[step.decision].push(workflow.id);
      // A run stopped here finds the workflow by name next time and adds the trigger then.
      try {
        await api.createManualTrigger(workflow.id, serviceIds);
      } catch (error) {
        throw new TriggerNotCreated(workflow, error);
      }
      return `created the workflow "${workflow.name}": ${workflow.id}, with a manual trigger`;
    }
    case "create-trigger":
      await api.createManualTrigger(step.workflow.id, serviceIds);
      return `gave the workflow "${step.workflow.name}" (${step.workflow.id}) a manual trigger`;
    case "add-services":
      for (const id of serviceIds) await api.addServiceToTrigger(step.trigger.id, id);
      return `offered the workflow "${step.workflow.name}" (${step.workflow.id}) on ${
        step.services.map((s) => `"${s.name}"`).join(", ")
      }`;
  }
}

// ---- custom incident actions -------------------------------------------------------------------

async function setUpActions(ctx: Context): Promise<void> {
  const { api, files } = ctx.deps;
  const { report, services, urls, request } = ctx;
  const source = request.actionSecret;
  if (source === undefined) {
    report.line(
      "skipped",
      "Custom Incident Actions: [pagerduty.reviews] action_secret is not set (set it to the " +
        "path of a file to have them; they are the least safe way to decide, see the README)",
    );
    return;
  }
  const where: SecretWhere = source.kind === "file" ? { file: source.path } : { configValue: true };
  const allByHand = (why: string) => {
    for (const service of services) {
      for (const decision of DECISIONS) {
        report.byHand(
          `Custom Incident Action "${ACTION_NAMES[decision]}" on "${service.name}": ${why}`,
          createActionTask(decision, service, urls, where),
        );
      }
    }
  };
  let schemaId: string;
  const existing = new Map<string, Extension[]>();
  try {
    const schema = await api.findExtensionSchema("custom_webhook");
    if (schema === undefined) {
      report.line("skipped", "Custom Incident Actions: this PagerDuty account does not offer them");
      return;
    }
    schemaId = schema.id;
    for (const service of services) {
      existing.set(service.id, await api.listExtensions({ schemaId, serviceId: service.id }));
    }
  } catch (error) {
    const status = refusal(error);
    if (status === undefined) {
      report.line("failed", `Custom Incident Actions could not be listed: ${errorText(error)}`);
    } else {
      allByHand(`PagerDuty refused to list extensions (${status}), so create it by hand`);
    }
    return;
  }
  let secret: string | undefined;
  try {
    secret = source.kind === "value" ? source.value : await files.read(source.path);
  } catch (error) {
    report.line("failed", errorText(error));
    return;
  }
  const steps = planActions({
    services,
    endpoints: urls,
    existing,
    secret,
    secretFile: source.kind === "file" ? source.path : undefined,
  });
  let refused: 402 | 403 | undefined;
  for (const step of steps) {
    if (step.kind === "ok") {
      report.line(
        "ok",
        `Custom Incident Action "${step.extension.name}" (${step.extension.id}) on ` +
          `"${step.service.name}": set up${
            step.headerUnverified
              ? " (PagerDuty does not show the secret header, so it was not compared)"
              : ""
          }`,
      );
      continue;
    }
    if (ctx.request.dryRun) {
      report.line("planned", describeActionStep(step));
      continue;
    }
    if (step.kind === "generate-secret") {
      try {
        secret = (ctx.deps.newSecret ?? randomSecret)();
        await files.prepare(step.path);
        await files.write(step.path, secret);
        report.secretsWritten.push(step.path);
        report.line("changed", `wrote a new action secret to ${step.path} (mode 0600)`);
      } catch (error) {
        report.line(
          "failed",
          `${errorText(error)}; the Custom Incident Actions were left as they are`,
        );
        return;
      }
      continue;
    }
    if (refused !== undefined) {
      report.byHand(
        `${describeActionStep(step)}: left to you (PagerDuty refused ${refused})`,
        actionTask(step, urls, where),
      );
      continue;
    }
    const input = actionInput(step, urls, schemaId, secret!);
    if (input === undefined) {
      report.byHand(
        `${describeActionStep(step)}: it has other custom headers PagerDuty does not show, so ` +
          "edit it by hand to keep them",
        actionTask(step, urls, where),
      );
      continue;
    }
    try {
      const extension = step.kind === "create"
        ? await api.createExtension(input)
        : await api.updateExtension(step.extension.id, input);
      report.line(
        "changed",
        `${step.kind === "create" ? "created" : "updated"} the Custom Incident Action ` +
          `"${extension.name}" on "${step.service.name}": ${extension.id}`,
      );
    } catch (error) {
      refused = refusal(error);
      if (refused === undefined) {
        report.line("failed", `${describeActionStep(step)}: ${errorText(error)}`);
      } else {
        report.byHand(
          `${describeActionStep(step)}: PagerDuty refused it (${refused}), so do it by hand`,
          actionTask(step, urls, where),
        );
      }
    }
  }
}

type ActionChange = Extract<ActionStep, { kind: "create" | "update" }>;

function describeActionStep(step: Exclude<ActionStep, { kind: "ok" }>): string {
  switch (step.kind) {
    case "generate-secret":
      return `write a new action secret to ${step.path}`;
    case "create":
      return `create the Custom Incident Action "${ACTION_NAMES[step.decision]}" on ` +
        `"${step.service.name}"`;
    case "update":
      return `update the Custom Incident Action "${step.extension.name}" ` +
        `(${step.extension.id}) on "${step.service.name}": ${step.differences.join(", ")}`;
  }
}

function actionTask(step: ActionChange, urls: Endpoints, where: SecretWhere): ManualTask {
  return step.kind === "create"
    ? createActionTask(step.decision, step.service, urls, where)
    : updateActionTask(step.decision, step.service, step.extension, urls, where);
}

/**
 * The extension as it should be. An update keeps the services and the other headers of the
 * existing one; undefined when another header's value is hidden, since a PUT would erase it.
 */
function actionInput(
  step: ActionChange,
  urls: Endpoints,
  schemaId: string,
  secret: string,
): ExtensionInput | undefined {
  const others = step.kind === "update"
    ? step.extension.headers.filter((h) => !sameHeader(h.name))
    : [];
  if (others.some((h) => h.value === undefined)) return undefined;
  return {
    name: ACTION_NAMES[step.decision],
    endpointUrl: urls.actionUrls[step.decision],
    schemaId: step.kind === "update" ? step.extension.schemaId : schemaId,
    serviceIds: step.kind === "update" ? step.extension.serviceIds : [step.service.id],
    headers: [
      ...others.map((h) => ({ name: h.name, value: h.value! })),
      { name: ACTION_SECRET_HEADER, value: secret },
    ],
  };
}
