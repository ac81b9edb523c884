/**
 * The Teleport half of `check`: proves, with calls that change nothing, that the Auth Service is
 * reachable, accepts the identity, and lets the plugin do each thing it needs. Writes are probed
 * against a request ID that does not exist: Teleport checks the caller's permission before it
 * looks the request up, so NOT_FOUND proves the permission without touching anything.
 *
 * @module
 */

import { type AuthClient, TeleportError } from "../teleport/types.ts";
import { type PermissionProbe, ROLE_HINT } from "./check_probes.ts";
import type { CheckItem } from "./checklist.ts";

/** What the Teleport checks need besides the client. */
export interface TeleportCheckOptions {
  /** Plugin name for plugin data and monitoring rules (`pagerduty`). */
  readonly plugin: string;
  readonly notifyServiceAnnotation: string;
  readonly servicesAnnotation: string;
  /** The permissions the enabled features need, each proved after the core ones. */
  readonly probes: readonly PermissionProbe[];
  /** An ID that certainly names nothing, for the side-effect-free probes. */
  readonly probeRequestId: string;
}

/** The Teleport checklist, and the PagerDuty service names found along the way. */
export interface TeleportCheckResult {
  readonly items: CheckItem[];
  /** Service names from pending requests' annotations and access monitoring rules. */
  readonly serviceNames: string[];
}

/** How many pending requests are read to collect the service names they name. */
const MAX_REQUESTS_SCANNED = 100;

function failure(title: string, error: unknown, fix: string): CheckItem {
  return { status: "fail", title, detail: errorText(error), fix };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isKind(error: unknown, kind: TeleportError["kind"]): boolean {
  return error instanceof TeleportError && error.kind === kind;
}

/** Runs every Teleport check; stops after the first when the Auth Service cannot be reached. */
export async function checkTeleport(
  client: AuthClient,
  options: TeleportCheckOptions,
): Promise<TeleportCheckResult> {
  const items: CheckItem[] = [];
  const serviceNames = new Set<string>();
  const pingTitle = "Teleport Auth Service reachable and the identity accepted (Ping)";
  try {
    const info = await client.ping();
    items.push({
      status: "ok",
      title: pingTitle,
      detail: `cluster ${info.clusterName}, Teleport ${info.serverVersion}`,
    });
  } catch (error) {
    items.push(failure(
      pingTitle,
      error,
      "check teleport.addr and the identity (is it from this cluster, and still valid?)",
    ));
    return { items, serviceNames: [] };
  }

  const listTitle = "may list and read access requests";
  try {
    let count = 0;
    for await (const request of client.listPendingRequests()) {
      count++;
      for (const key of [options.notifyServiceAnnotation, options.servicesAnnotation]) {
        for (const name of request.systemAnnotations[key] ?? []) serviceNames.add(name);
      }
      if (count >= MAX_REQUESTS_SCANNED) break;
    }
    items.push({
      status: "ok",
      title: listTitle,
      detail: count >= MAX_REQUESTS_SCANNED
        ? `${count}+ pending requests`
        : `${count} pending request${count === 1 ? "" : "s"}`,
    });
  } catch (error) {
    items.push(failure(
      listTitle,
      error,
      `give the plugin's role \`access_request: [list, read]\` (${ROLE_HINT})`,
    ));
  }

  const readTitle = "may read plugin data";
  try {
    await client.getPluginData(options.probeRequestId, options.plugin);
    items.push({ status: "ok", title: readTitle });
  } catch (error) {
    items.push(failure(
      readTitle,
      error,
      `give the plugin's role \`access_request: [list, read]\` (${ROLE_HINT})`,
    ));
  }

  const updateTitle = "may update plugin data";
  try {
    await client.updatePluginData(
      options.probeRequestId,
      options.plugin,
      { incident_id: "" },
      {},
    );
    items.push({ status: "ok", title: updateTitle });
  } catch (error) {
    items.push(
      isKind(error, "not_found")
        ? {
          status: "ok",
          title: updateTitle,
          detail: "proved by updating a request that does not exist",
        }
        : failure(
          updateTitle,
          error,
          `give the plugin's role \`access_plugin_data: [update]\` (${ROLE_HINT})`,
        ),
    );
  }

  for (const probe of options.probes) {
    items.push(await checkPermission(client, probe, options.probeRequestId));
  }

  const rulesTitle = "may read access monitoring rules";
  try {
    const rules = await client.listAccessMonitoringRules(options.plugin);
    for (const rule of rules) for (const name of rule.recipients) serviceNames.add(name);
    items.push({
      status: "ok",
      title: rulesTitle,
      detail: `${rules.length} rule${rules.length === 1 ? "" : "s"} route to ${options.plugin}`,
    });
  } catch (error) {
    items.push({
      status: "warn",
      title: rulesTitle,
      detail: `${errorText(error).replace(/\.$/, "")}; routing by access monitoring rules is off`,
      fix: `to route with rules, give the plugin's role \`access_monitoring_rule: [list, read]\``,
    });
  }
  return { items, serviceNames: [...serviceNames].sort() };
}

/** Runs one feature's probe: success or NOT_FOUND proves the permission. */
async function checkPermission(
  client: AuthClient,
  probe: PermissionProbe,
  missingId: string,
): Promise<CheckItem> {
  try {
    await probe.probe(client, missingId);
    return { status: "ok", title: probe.title };
  } catch (error) {
    if (isKind(error, "not_found")) {
      return { status: "ok", title: probe.title, detail: probe.proof };
    }
    return failure(probe.title, error, probe.fix);
  }
}
