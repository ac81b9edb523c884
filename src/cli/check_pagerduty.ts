/**
 * The PagerDuty half of `check`: the API key works, `user_email` is a real user, the key may
 * write, and every service the Teleport side named exists. Nothing is created or changed: write
 * access is probed by resolving an incident that does not exist.
 *
 * @module
 */

import { type PagerDutyApi, PagerDutyError } from "../pagerduty/types.ts";
import type { CheckItem } from "./checklist.ts";

/** What the PagerDuty checks need besides the client. */
export interface PagerDutyCheckOptions {
  readonly userEmail: string;
  /** Service names to look up (from role annotations and access monitoring rules). */
  readonly serviceNames: readonly string[];
  /** An incident ID that certainly does not exist, for the write probe. */
  readonly probeIncidentId: string;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function status(error: unknown): number | undefined {
  return error instanceof PagerDutyError ? error.status : undefined;
}

/** Runs every PagerDuty check; stops after the first when the API key does not work. */
export async function checkPagerDuty(
  api: PagerDutyApi,
  options: PagerDutyCheckOptions,
): Promise<CheckItem[]> {
  const items: CheckItem[] = [];
  const keyTitle = "PagerDuty reachable and the API key accepted (GET /abilities)";
  try {
    const abilities = await api.listAbilities();
    items.push({ status: "ok", title: keyTitle, detail: `${abilities.length} abilities` });
  } catch (error) {
    items.push({
      status: "fail",
      title: keyTitle,
      detail: errorText(error),
      fix: status(error) === 0
        ? "check pagerduty.api_endpoint and that this host can reach it"
        : "set pagerduty.api_key to a REST API key (Integrations → API Access Keys), or with " +
          'pagerduty.auth_scheme = "bearer" an OAuth token',
    });
    return items;
  }

  const userTitle = `pagerduty.user_email ${options.userEmail} is a PagerDuty user`;
  try {
    const users = await api.findUsersByEmail(options.userEmail);
    items.push(
      users.length === 1
        ? { status: "ok", title: userTitle, detail: users[0].name }
        : users.length === 0
        ? {
          status: "fail",
          title: userTitle,
          detail: "no user has this email",
          fix: "set pagerduty.user_email to the email of an existing PagerDuty user; " +
            "incidents and notes are written as that user",
        }
        : {
          status: "warn",
          title: userTitle,
          detail: `${users.length} users have this email`,
          fix: "give the bot user an email no other user has",
        },
    );
  } catch (error) {
    items.push({ status: "fail", title: userTitle, detail: errorText(error) });
  }

  items.push(await checkWriteAccess(api, options.probeIncidentId));

  if (options.serviceNames.length === 0) {
    items.push({
      status: "warn",
      title: "PagerDuty services named in Teleport exist",
      detail: "no pending request or access monitoring rule names a service yet, so none " +
        "was looked up",
      fix: "annotate the requester roles (see README, section Annotations)",
    });
  }
  for (const name of options.serviceNames) {
    const title = `PagerDuty service "${name}" exists`;
    try {
      const service = await api.findServiceByName(name);
      items.push(
        service === undefined
          ? {
            status: "fail",
            title,
            detail: "no service has this name",
            fix: "create the service in PagerDuty, or correct the role annotation or access " +
              "monitoring rule that names it",
          }
          : { status: "ok", title, detail: service.id },
      );
    } catch (error) {
      items.push({ status: "fail", title, detail: errorText(error) });
    }
  }
  return items;
}

/**
 * Resolves an incident that does not exist: 404 means the key may write (a read-only key gets
 * 403 first). PagerDuty does not document the order of those checks, so an unexpected answer
 * is a warning, not a failure.
 */
async function checkWriteAccess(api: PagerDutyApi, probeIncidentId: string): Promise<CheckItem> {
  const title = "the API key may write incidents and notes";
  try {
    await api.resolveIncident(probeIncidentId);
    return { status: "ok", title };
  } catch (error) {
    switch (status(error)) {
      case 404:
        return {
          status: "ok",
          title,
          detail: "proved by resolving an incident that does not exist",
        };
      case 403:
        return {
          status: "fail",
          title,
          detail: errorText(error),
          fix: "the API key is read-only: create a key with full access for pagerduty.api_key",
        };
      default:
        return {
          status: "warn",
          title,
          detail: `not proved: ${errorText(error)}`,
          fix: "incidents will fail to open if the key is read-only",
        };
    }
  }
}
