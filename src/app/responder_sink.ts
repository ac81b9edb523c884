/**
 * Where verified PagerDuty deliveries land (the webhook routes' sink): what a responder asked
 * for is stored as a scheduled job in the request's record before the route answers 2xx, so an
 * acknowledged decision is never lost; the lifecycle carries it out at once, or after a restart.
 *
 * The job's ID is the delivery ID from the signed body, so a redelivery, a replay with a fresh
 * header, or the same delivery reaching another replica is a no-op (the record is written with
 * compare-and-swap). Only commands on incidents this service opened for a request are stored:
 * anything else is answered 2xx and ignored, with nothing written.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { type PagerDutyApi, PagerDutyError } from "../pagerduty/types.ts";
import type { ResponderEvent } from "../pagerduty/webhook.ts";
import type { AuthClient } from "../teleport/types.ts";
import { decodeRecord, PLUGIN_NAME, type ScheduledJob } from "./plugin_data.ts";
import { commandJobData, DECISION_JOB } from "./responder_decisions.ts";
import { interpretEvent } from "./responder_commands.ts";
import { incidentBelongsToRecord, requestIdFromIncidentKey } from "./responder_policy.ts";

const log = getLogger(["teleport-pagerduty", "app", "responder"]);

/** What the sink did with a delivery; the route answers 202 or 200 accordingly. */
export type SinkResult = "accepted" | "duplicate" | "ignored";

/**
 * Decisions waiting on one request beyond which new ones are turned away (the route answers
 * 500 and PagerDuty delivers again later), so a flood of commands cannot grow the request's
 * record without bound.
 */
export const MAX_WAITING_DECISIONS = 16;

/** Too many decisions are waiting on one request; PagerDuty should deliver again later. */
export class DecisionBacklogError extends Error {
  /** Creates the error for `requestId`. */
  constructor(requestId: string) {
    super(
      `${MAX_WAITING_DECISIONS} decisions from PagerDuty are already waiting on access request ${requestId}; ` +
        "PagerDuty will deliver this one again later.",
    );
    this.name = "DecisionBacklogError";
  }
}

/** What the sink needs. */
export interface ResponderSinkOptions {
  readonly auth: Pick<AuthClient, "getPluginData">;
  readonly pagerduty: Pick<PagerDutyApi, "getIncident">;
  /** Stores a job in the request's record; `Lifecycle.scheduleJob`. */
  readonly scheduleJob: (
    requestId: string,
    job: ScheduledJob,
  ) => Promise<"accepted" | "duplicate">;
  /** The service's own PagerDuty user ID, when it can be found: its notes are never commands. */
  readonly serviceUserId: () => Promise<string | undefined>;
  readonly approveWorkflows: readonly string[];
  readonly denyWorkflows: readonly string[];
  /** Wall clock (ms since the epoch). */
  readonly clock: () => number;
  /**
   * Told of every verified `incident.resolved` event; resolves with how many requests it acted
   * on (0: none), rejects when it could not find out (the route answers 500; PagerDuty retries).
   */
  readonly onIncidentResolved?: (incidentId: string) => Promise<number>;
}

/** The sink for the V3 webhook and Custom Incident Action routes. */
export function responderSink(
  options: ResponderSinkOptions,
): (event: ResponderEvent, deliveryId: string) => Promise<SinkResult> {
  return async (event, deliveryId) => {
    if (event.kind === "resolved") {
      if (options.onIncidentResolved === undefined) return "ignored";
      return await options.onIncidentResolved(event.incidentId) > 0 ? "accepted" : "ignored";
    }
    // Most notes are not commands: the service's own user is looked up only for those that are.
    const interpret = (serviceUserId: string | undefined) =>
      interpretEvent(event, {
        serviceUserId,
        approveWorkflows: options.approveWorkflows,
        denyWorkflows: options.denyWorkflows,
        now: new Date(options.clock()),
      });
    let interpretation = interpret(undefined);
    if (interpretation.kind === "command" && event.agent !== undefined) {
      interpretation = interpret(await options.serviceUserId());
    }
    if (interpretation.kind === "ignore") {
      log.debug("Delivery {deliveryId} asks for nothing: {detail}", {
        deliveryId,
        detail: interpretation.detail,
      });
      return "ignored";
    }
    const command = interpretation.command;
    const incident = await incidentOrUndefined(options, command.incidentId);
    const requestId = incident && requestIdFromIncidentKey(incident.incidentKey);
    if (incident === undefined || requestId === undefined) {
      log.info(
        "A {path} command on incident {incidentId} ignored: not an access request's incident",
        {
          path: command.path,
          incidentId: command.incidentId,
        },
      );
      return "ignored";
    }
    const record = decodeRecord(await options.auth.getPluginData(requestId, PLUGIN_NAME));
    if (!incidentBelongsToRecord(record, incident)) {
      log.info(
        "A {path} command on incident {incidentId} ignored: this service did not open it for access request {requestId}",
        { path: command.path, incidentId: command.incidentId, requestId },
      );
      return "ignored";
    }
    const known = record.scheduled.some((j) => j.id === deliveryId) ||
      record.jobsDone.includes(deliveryId);
    const waiting = record.scheduled.filter((j) => j.kind === DECISION_JOB).length;
    if (!known && waiting >= MAX_WAITING_DECISIONS) throw new DecisionBacklogError(requestId);
    return await options.scheduleJob(requestId, {
      id: deliveryId,
      kind: DECISION_JOB,
      dueAt: options.clock(),
      data: commandJobData(command),
    });
  };
}

/** The incident, or undefined when PagerDuty has no such incident. */
async function incidentOrUndefined(
  options: ResponderSinkOptions,
  incidentId: string,
): Promise<
  { readonly id: string; readonly serviceId: string; readonly incidentKey: string } | undefined
> {
  try {
    return await options.pagerduty.getIncident(incidentId);
  } catch (error) {
    if (error instanceof PagerDutyError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * Finds the service's own PagerDuty user ID from `pagerduty.user_email` (the client caches the
 * look-up). Never rejects: when PagerDuty cannot say, the policy still recognises the service's
 * user by its email.
 */
export function serviceUserIdLookup(
  pagerduty: Pick<PagerDutyApi, "findUsersByEmail">,
  email: string,
): () => Promise<string | undefined> {
  return async () => {
    try {
      const users = await pagerduty.findUsersByEmail(email);
      return users.length === 1 ? users[0].id : undefined;
    } catch (error) {
      log.debug("Could not look up the service's own PagerDuty user: {error}", {
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
  };
}
