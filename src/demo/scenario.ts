/**
 * The demo's script: what people do in Teleport, step by step, and for each step the effect
 * the service must have had before the next one starts. Effects are read from the fakes' state
 * (the plugin data the service wrote last in each step), never from the service's own view.
 *
 * The people are the seeded PagerDuty account's (`src/fakes/pagerduty/seed.ts`): Alice is on
 * call for Platform, Dave for Databases, Carol is Platform's level 2 and the approver (on call
 * for the notification service), Bob's shift starts later, Erin is never on call. Then come steps
 * that happen in PagerDuty: notes, which the fake sends to the service as signed webhooks. The
 * last steps show access that ends early: Dave's shift is shortened to end a few seconds after
 * his request, and Erin joins an incident as a responder, is approved for it, and loses the
 * access once Dave resolves it.
 *
 * @module
 */

import { PLUGIN_NAME } from "../app/plugin_data.ts";
import type { World } from "../fakes/world.ts";

/** One step: an action, and the service's effect to wait for. */
export interface Step {
  /** What happens, for the heading. */
  readonly title: string;
  /** Does the step's action on the fakes, as a person (or Teleport's clock) would. */
  readonly act: () => void;
  /** The awaited effect, completing "the service did not …". */
  readonly expect: string;
  /** Whether the effect is visible on the fakes. */
  readonly done: () => boolean;
}

/** The script and the requests it creates. */
export interface Scenario {
  readonly steps: readonly Step[];
  /** IDs of the requests created so far, in creation order. */
  readonly requestIds: () => readonly string[];
}

/** The annotation keys of the world's config (the Go plugin's defaults, and this service's). */
const NOTIFY = "pagerduty_notify_service";
const ON_CALL_SERVICES = "pagerduty_services";
const INCIDENT_SERVICES = "pagerduty_incident_services";

/** How long after his request Dave's shortened shift ends. */
export const DEMO_SHIFT_MS = 3_000;

/** Builds the scenario against `world`'s fakes and seeded account. */
export function buildScenario(world: World): Scenario {
  const { auth } = world;
  const { alice, bob, carol, dave, erin, notifyService, platformService, databaseService } =
    world.account;
  const ids = new Map<string, string>();
  let responderIncident: { id: string; number: number } | undefined;
  const id = (who: string) => {
    const found = ids.get(who);
    if (found === undefined) throw new Error(`The demo has no request by ${who} yet.`);
    return found;
  };
  const data = (who: string) => auth.pluginData(id(who), PLUGIN_NAME) ?? {};
  const create = (
    who: string,
    roles: string[],
    reason: string,
    annotations: Record<string, string[]>,
    options: { approvals?: number; key?: string } = {},
  ) => {
    const request = auth.createAccessRequest({
      user: who,
      roles,
      reason,
      systemAnnotations: annotations,
      thresholds: [{ approve: options.approvals ?? 1, deny: 1 }],
    });
    ids.set(options.key ?? who, request.id);
  };
  /** The incident the service recorded for a request. */
  const incidentOf = (key: string) => data(key).incident_id ?? "";
  /** The service's notes on a request's incident. */
  const serviceNotes = (key: string) =>
    (world.pagerduty.incident(incidentOf(key))?.notes ?? [])
      .filter((n) => n.userId === world.account.bot.id)
      .map((n) => n.content);
  const daveAudit = "dave (auditor)";
  const notify = { [NOTIFY]: [notifyService.name] };
  const platform = { ...notify, [ON_CALL_SERVICES]: [platformService.name] };
  const databases = { ...notify, [ON_CALL_SERVICES]: [databaseService.name] };
  const databaseIncidents = { ...notify, [INCIDENT_SERVICES]: [databaseService.name] };
  const incidentTitle = "Checkout DB latency";

  const steps: Step[] = [
    {
      title: `${erin.name} asks for editor (two approvals needed); ` +
        `the request names "${notifyService.name}" to notify`,
      act: () =>
        create(erin.email, ["editor"], "Deploy the payment hotfix", platform, { approvals: 2 }),
      expect: `open an incident for ${erin.name}'s request`,
      // Auto-approval's refusal is not recorded (on-call may change); idle covers the look-up.
      done: () => data(erin.email).incident_id !== undefined,
    },
    {
      title: `${alice.name}, on call for ${platformService.name}, asks for platform-admin`,
      act: () =>
        create(alice.email, ["platform-admin"], "Checkout latency alert is firing", platform),
      expect: `auto-approve ${alice.name}'s request and resolve its incident`,
      done: () =>
        data(alice.email).auto_approval === "approved" &&
        data(alice.email).resolution === "approved",
    },
    {
      title: `${carol.name} approves ${erin.name}'s request (1 of 2 approvals)`,
      act: () => {
        auth.review(id(erin.email), {
          author: carol.email,
          decision: "APPROVED",
          reason: "The hotfix is in the change calendar",
        });
      },
      expect: `add ${carol.name}'s review as a note on ${erin.name}'s incident`,
      done: () => data(erin.email).reviews_count === "1",
    },
    {
      title: `${alice.name} gives the second approval: ${erin.name}'s request is approved`,
      act: () => {
        auth.review(id(erin.email), {
          author: alice.email,
          decision: "APPROVED",
          reason: "Pairing with Erin on it",
        });
      },
      expect: `note the approval and resolve ${erin.name}'s incident`,
      done: () => data(erin.email).resolution === "approved",
    },
    {
      title: `${dave.name} asks for platform-admin; he is on call, but for ` +
        `${databaseService.name}, not ${platformService.name}`,
      act: () =>
        create(dave.email, ["platform-admin"], "Check replication lag from the app side", platform),
      expect: `open an incident for ${dave.name}'s request`,
      // Auto-approval's refusal is not recorded (on-call may change); idle covers the look-up.
      done: () => data(dave.email).incident_id !== undefined,
    },
    {
      title: `${carol.name} denies ${dave.name}'s request`,
      act: () => {
        auth.review(id(dave.email), {
          author: carol.email,
          decision: "DENIED",
          reason: `Ask the ${platformService.name} on-call instead`,
        });
      },
      expect: `note the denial and resolve ${dave.name}'s incident`,
      done: () => data(dave.email).resolution === "denied",
    },
    {
      title: `${bob.name} asks for auditor (notify only, no on-call check)`,
      act: () => create(bob.email, ["auditor"], "Quarterly access review", notify),
      expect: `open an incident for ${bob.name}'s request`,
      done: () => data(bob.email).incident_id !== undefined,
    },
    {
      title: `Nobody reviews ${bob.name}'s request before its TTL runs out ` +
        "(the demo fast-forwards: the fake Auth Service expires it now)",
      act: () => {
        auth.expire(id(bob.email));
      },
      expect: `resolve ${bob.name}'s incident as expired`,
      done: () => data(bob.email).resolution === "expired",
    },
    {
      title: `${dave.name} asks for auditor (notify only): it is decided in PagerDuty`,
      act: () =>
        create(dave.email, ["auditor"], "Quarterly access review", notify, { key: daveAudit }),
      expect: `open an incident for ${dave.name}'s request`,
      done: () => data(daveAudit).incident_id !== undefined,
    },
    {
      title: `${erin.name}, not on call, writes "/approve Looks fine" on the incident in PagerDuty`,
      act: () => {
        world.pagerduty.addNoteAs(incidentOf(daveAudit), erin.id, "/approve Looks fine");
      },
      expect: "refuse it with a note naming the rule",
      done: () => serviceNotes(daveAudit).some((n) => n.includes("was not carried out")),
    },
    {
      title: `${carol.name}, on call for "${notifyService.name}", writes ` +
        '"/approve Audit is due this week" in PagerDuty',
      act: () => {
        world.pagerduty.addNoteAs(
          incidentOf(daveAudit),
          carol.id,
          "/approve Audit is due this week",
        );
      },
      expect:
        `approve ${dave.name}'s request as its reviewer, say so on the incident and resolve it`,
      done: () =>
        data(daveAudit).resolution === "approved" &&
        serviceNotes(daveAudit).some((n) => n.startsWith(carol.name)),
    },
    {
      title: `${dave.name} asks for db-admin; he is on call for ${databaseService.name}, ` +
        `and his shift ends ${DEMO_SHIFT_MS / 1000} s from now (the demo shortens it)`,
      act: () => {
        world.pagerduty.removeOnCalls({ userId: dave.id });
        world.pagerduty.putOnCall({
          userId: dave.id,
          escalationPolicyId: world.account.databasePolicy.id,
          scheduleId: world.account.databaseSchedule.id,
          start: new Date(Date.now() - 2 * 3600_000),
          end: new Date(Date.now() + DEMO_SHIFT_MS),
        });
        create(dave.email, ["db-admin"], "Vacuum the orders table", databases, { key: "dave-db" });
      },
      expect: `auto-approve ${dave.name}'s request until his shift ends`,
      done: () =>
        data("dave-db").auto_approval === "approved" && data("dave-db").resolution === "approved",
    },
    {
      title: `${dave.name}'s shift ends; nobody does anything`,
      act: () => {},
      expect: `lock ${dave.name}'s approved request when his shift ended`,
      done: () => data("dave-db").locked === "shift_ended",
    },
    {
      title: `${dave.name} opens incident "${incidentTitle}" in ${databaseService.name}; ` +
        `${erin.name} joins it as a responder and asks for db-admin, citing it`,
      act: () => {
        const incident = world.pagerduty.act((account, now) => {
          const opened = account.createIncident(
            { title: incidentTitle, serviceId: databaseService.id, assigneeIds: [dave.id] },
            dave.id,
            now,
          );
          account.requestResponder(opened.id, erin.id, dave.id, now);
          account.answerResponder(opened.id, erin.id, "joined", now);
          return opened;
        });
        responderIncident = incident;
        create(
          erin.email,
          ["db-admin"],
          `Helping with https://fake.pagerduty.com/incidents/${incident.id}`,
          databaseIncidents,
          { key: "erin-db" },
        );
      },
      expect: `approve ${erin.name}'s request for the incident she responds to`,
      done: () =>
        data("erin-db").incident_approval === "approved" &&
        data("erin-db").resolution === "approved",
    },
    {
      title: `${dave.name} resolves incident "${incidentTitle}"`,
      act: () => {
        if (responderIncident === undefined) throw new Error("The demo has no incident yet.");
        world.pagerduty.updateIncidentAs(responderIncident.id, dave.id, { status: "resolved" });
      },
      expect: `lock ${erin.name}'s request once the incident was resolved`,
      done: () => data("erin-db").locked === "incident_resolved",
    },
  ];
  return { steps, requestIds: () => [...ids.values()] };
}
