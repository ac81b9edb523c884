/**
 * Dispatch: for one request's work, reads the record, asks `decide.ts` what to do, and hands
 * the doing to the rooms — `open_incidents.ts`, `notes.ts`, `resolve.ts`, `auto_approve.ts`,
 * `incident_approve.ts` — then runs the request's scheduled jobs that are due (`scheduled.ts`),
 * and tells the incident poller what the request's access now depends on. Every step is safe to
 * repeat: the queue retries failed work.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { type AccessRequest, TeleportError } from "../teleport/types.ts";
import { autoApprove } from "./auto_approve.ts";
import { decideForDeleted, decideForRequest } from "./decide.ts";
import { permanentFailureNotice } from "./failures.ts";
import { approveForIncident } from "./incident_approve.ts";
import { noteNotice, noteReviews } from "./notes.ts";
import { openIncidents } from "./open_incidents.ts";
import type { Work } from "./queue.ts";
import { resolveIncidents } from "./resolve.ts";
import { namesFromAnnotation } from "./routing.ts";
import { type ExecutorDeps, RequestRun } from "./run.ts";
import { type JobHandlers, nextDueAt, runDueJobs } from "./scheduled.ts";

/** The executor's dependencies plus the handlers of scheduled jobs. */
export interface ProcessorDeps extends ExecutorDeps {
  readonly jobHandlers: JobHandlers;
}

/** The executor of lifecycle decisions. */
export class RequestProcessor {
  readonly #deps: ProcessorDeps;
  readonly #log = getLogger(["teleport-pagerduty", "app"]);

  /** Creates a processor. */
  constructor(deps: ProcessorDeps) {
    this.#deps = deps;
  }

  /**
   * Brings one request up to date with `work`. Resolves with when its next scheduled job falls
   * due (wall-clock ms), if any. Throws when something failed; the queue retries.
   */
  async process(requestId: string, work: Work, attempt: number): Promise<number | undefined> {
    const log = this.#log.with({ request_id: requestId });
    log.debug("Handling {kind} from {source} (attempt {attempt})", {
      kind: work.kind,
      source: work.source,
      attempt,
    });
    const run = await RequestRun.start(this.#deps, requestId, work, log);
    try {
      const request = await this.#requestOf(run, work);
      try {
        await this.#act(run, request);
      } catch (error) {
        if (!request || !await this.#isGone(requestId, error)) throw error;
        // Listed, then deleted with the DELETE unseen: retrying the put could never succeed.
        log.info("The request no longer exists; handling it as deleted");
        await this.#act(run, undefined);
      }
      await runDueJobs(run, request, this.#deps.jobHandlers);
      this.#followIncidentPlan(run);
      return nextDueAt(run.record, Object.keys(this.#deps.jobHandlers));
    } catch (error) {
      await this.#tellResponders(run, error);
      throw error;
    } finally {
      await run.release();
    }
  }

  /** The request as the work knows it; fetched for scheduled work. */
  async #requestOf(run: RequestRun, work: Work): Promise<AccessRequest | undefined> {
    if (work.kind === "put") return work.request;
    if (work.kind === "delete") return undefined;
    return await this.#deps.auth.getAccessRequest(run.requestId);
  }

  async #act(run: RequestRun, request: AccessRequest | undefined): Promise<void> {
    const action = request
      ? decideForRequest(request, run.record, {
        selfUser: this.#deps.selfUser,
        autoApprovalEnabled: this.#deps.autoApproval.enabled,
        approvalServiceNames: namesFromAnnotation(request, this.#deps.servicesAnnotation),
      })
      : decideForDeleted(run.record);
    switch (action.type) {
      case "none":
        run.log.debug("Nothing to do: {why}", { why: action.why });
        return;
      case "pending":
        await openIncidents(run, request!);
        if (run.record.resolution !== "") return;
        await noteReviews(run, request!.reviews, [...new Set(Object.values(run.record.incidents))]);
        if (action.autoApprove) await autoApprove(run, request!);
        await approveForIncident(run, request!);
        return;
      case "resolve":
        await resolveIncidents(run, {
          resolution: action.resolution,
          reason: action.reason,
          reviews: request?.reviews ?? [],
        });
        return;
    }
  }

  /** Watches the incident the request's access depends on until it is locked. */
  #followIncidentPlan(run: RequestRun): void {
    const { incident, locked } = run.record.accessEnd;
    if (typeof incident === "object" && locked === "") {
      this.#deps.incidentWatch?.watch({
        requestId: run.requestId,
        incidentId: incident.id,
        serviceId: incident.serviceId,
      });
    } else {
      this.#deps.incidentWatch?.unwatch(run.requestId);
    }
  }

  /** Says a failure that retrying cannot fix on the request's incidents, once; best effort. */
  async #tellResponders(run: RequestRun, error: unknown): Promise<void> {
    const notice = permanentFailureNotice(error);
    const incidents = [...new Set(Object.values(run.record.incidents))];
    if (!notice || incidents.length === 0) return;
    try {
      await noteNotice(run, notice.code, notice.content, incidents);
    } catch (noteError) {
      run.log.debug("Could not add the notice to the incident: {error}", {
        error: noteError instanceof Error ? noteError.message : String(noteError),
      });
    }
  }

  /** Whether `error` says the request is missing, and Teleport confirms it is gone. */
  async #isGone(requestId: string, error: unknown): Promise<boolean> {
    if (!(error instanceof TeleportError && error.kind === "not_found")) return false;
    return await this.#deps.auth.getAccessRequest(requestId) === undefined;
  }
}
