/**
 * What a responder's action in PagerDuty asks for, before anyone is authorized: a note whose
 * first word is `/approve` or `/deny` (any case; the rest is the reason), a workflow configured
 * as an approve or deny workflow, or a Custom Incident Action's route. Everything else is
 * ignored silently. Pure functions.
 *
 * @module
 */

import type { ResponderAgent, ResponderEvent } from "../pagerduty/webhook.ts";

/** Every way a decision reaches the service; also metric labels. */
export const RESPONDER_PATHS = ["note", "workflow", "action"] as const;

/** How a decision reached the service; also the metric label. */
export type ResponderPath = (typeof RESPONDER_PATHS)[number];

/** What a responder decided. */
export type Decision = "approve" | "deny";

/** A decision a responder asked for, not yet authorized. */
export interface ResponderCommand {
  readonly path: ResponderPath;
  readonly decision: Decision;
  /** The responder's own words: the note after the command word; empty for buttons. */
  readonly reason: string;
  readonly incidentId: string;
  /** Who acted; undefined when PagerDuty named no user. */
  readonly agent: ResponderAgent | undefined;
  /** The workflow's or action's name in PagerDuty, for texts; empty for notes. */
  readonly via: string;
  /** The workflow's ID, for `workflow` commands. */
  readonly workflowId?: string;
}

/** Why an event asks for nothing. */
export type IgnoreReason =
  /** A note that does not start with a command word. */
  | "not_a_command"
  /** Written or run by the service's own PagerDuty user. */
  | "own_action"
  /** A workflow in neither `approve_workflows` nor `deny_workflows`. */
  | "other_workflow"
  /** An event that carries no decision (a resolved incident). */
  | "not_a_decision"
  /** Older than PagerDuty's redelivery window: a replay, not a live action. */
  | "stale"
  /** The incident was not opened by this service for an access request. */
  | "not_our_incident";

/** An event turned into a command, or the reason it asks for nothing. */
export type Interpretation =
  | { readonly kind: "command"; readonly command: ResponderCommand }
  | { readonly kind: "ignore"; readonly reason: IgnoreReason; readonly detail: string };

/** What {@link interpretEvent} needs to know about the setup. */
export interface InterpretOptions {
  /** The service's own PagerDuty user ID; its notes and runs are never commands. */
  readonly serviceUserId: string | undefined;
  readonly approveWorkflows: readonly string[];
  readonly denyWorkflows: readonly string[];
  readonly now: Date;
}

/**
 * PagerDuty redelivers for up to 48 hours; an event older than that (with an hour for clock
 * skew) cannot be a delivery of a live action and is treated as a replay.
 */
export const MAX_EVENT_AGE_MS = 49 * 60 * 60 * 1000;

const COMMANDS: Readonly<Record<string, Decision>> = { "/approve": "approve", "/deny": "deny" };

/**
 * The command in a note: its first word (after leading white space) is `/approve` or `/deny` in
 * any case, followed by white space or nothing; the rest, trimmed, is the reason. Any other
 * note ("I approve of the plan", "/approved") is not a command.
 */
export function parseNoteCommand(
  content: string,
): { readonly decision: Decision; readonly reason: string } | undefined {
  const match = /^\s*(\S+)(?:\s+([\s\S]*))?$/.exec(content);
  if (match === null) return undefined;
  // ASCII-only lower-casing: a look-alike such as the Kelvin sign must not spell a command.
  const word = match[1].replace(/[A-Z]/g, (c) => c.toLowerCase());
  const decision = Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined;
  if (decision === undefined) return undefined;
  return { decision, reason: (match[2] ?? "").trim() };
}

/** What `event` asks for, or why it asks for nothing. */
export function interpretEvent(event: ResponderEvent, options: InterpretOptions): Interpretation {
  if (event.kind === "resolved") {
    return ignore("not_a_decision", `incident ${event.incidentId} was resolved`);
  }
  if (event.agent !== undefined && event.agent.id === options.serviceUserId) {
    return ignore("own_action", `written by the service's own PagerDuty user ${event.agent.id}`);
  }
  if (
    event.occurredAt !== undefined &&
    options.now.getTime() - event.occurredAt.getTime() > MAX_EVENT_AGE_MS
  ) {
    return ignore("stale", `the event happened at ${event.occurredAt.toISOString()}`);
  }
  const base = { incidentId: event.incidentId, agent: event.agent };
  switch (event.kind) {
    case "note": {
      const parsed = parseNoteCommand(event.content);
      if (parsed === undefined) {
        return ignore("not_a_command", `note ${event.noteId} is not a command`);
      }
      return command({ ...base, path: "note", ...parsed, via: "" });
    }
    case "workflow": {
      const decision: Decision | undefined = options.approveWorkflows.includes(event.workflowId)
        ? "approve"
        : options.denyWorkflows.includes(event.workflowId)
        ? "deny"
        : undefined;
      if (decision === undefined) {
        return ignore("other_workflow", `workflow ${event.workflowId} is not configured`);
      }
      return command({
        ...base,
        path: "workflow",
        decision,
        reason: "",
        via: event.workflowName,
        workflowId: event.workflowId,
      });
    }
    case "action":
      return command({
        ...base,
        path: "action",
        decision: event.decision,
        reason: "",
        via: event.actionName,
      });
  }
}

function command(command: ResponderCommand): Interpretation {
  return { kind: "command", command };
}

function ignore(reason: IgnoreReason, detail: string): Interpretation {
  return { kind: "ignore", reason, detail };
}
