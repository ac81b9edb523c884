/**
 * What `setup-pagerduty` needs from the config and the command line, checked before anything is
 * sent to PagerDuty, and the permissions of the worker that does the work. Pure and free of
 * third-party code: it runs on the supervisor thread.
 *
 * @module
 */

import type { ConfigMessage } from "../../config/transfer.ts";
import type { Config } from "../../config/types.ts";
import type { SandboxPermissions } from "../../sandbox/permissions.ts";
import { pagerDutyPermissions } from "../../sandbox/permissions.ts";

/** Where the action secret comes from: the config's value, or a file setup may create. */
export type ActionSecretSource =
  | { readonly kind: "value"; readonly value: string }
  | { readonly kind: "file"; readonly path: string };

/** Everything the setup worker needs. Holds the API key and maybe the action secret: never log it. */
export interface SetupRequest {
  readonly pagerduty: ConfigMessage["pagerduty"];
  /** `[http] public_addr` as a base URL without a trailing slash. */
  readonly publicAddr: string;
  /** PagerDuty service names, as the `pagerduty_notify_service` annotations give them. */
  readonly serviceNames: readonly string[];
  /** `webhook_secrets` entries that are files, in config order: where new secrets may go. */
  readonly webhookSecretFiles: readonly string[];
  /** Undefined when `action_secret` is not set: no Custom Incident Actions then. */
  readonly actionSecret?: ActionSecretSource;
  readonly dryRun: boolean;
}

/** The secrets of `[pagerduty.reviews]` as setup sees them. */
export interface SetupSecrets {
  readonly webhookSecretFiles: readonly string[];
  readonly actionSecret?: ActionSecretSource;
}

/** The only place that reads `[pagerduty.reviews]`: where setup finds and stores the secrets. */
export function setupSecrets(config: Config): SetupSecrets {
  const reviews = config.pagerduty.reviews;
  const files = reviews?.secretFiles ?? [];
  const webhookKey = "pagerduty.reviews.webhook_secrets";
  const actionFile = files.find((f) => f.key === "pagerduty.reviews.action_secret");
  return {
    webhookSecretFiles: files.filter((f) => f.key.startsWith(webhookKey)).map((f) => f.path),
    actionSecret: actionFile !== undefined
      ? { kind: "file", path: actionFile.path }
      : reviews?.actionSecret !== undefined
      ? { kind: "value", value: reviews.actionSecret.reveal() }
      : undefined,
  };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The public base URL PagerDuty is given, or the problem with it. PagerDuty must reach it over
 * HTTPS: Custom Incident Actions carry their secret in a header. Plain http is accepted for
 * loopback hosts only, for local tests.
 */
export function publicBaseUrl(config: Config): string | { problem: string } {
  const text = config.http?.publicAddr;
  if (config.http === undefined || text === undefined) {
    return {
      problem: "http.public_addr is not set: set http.listen_addr and http.public_addr (the " +
        'https URL PagerDuty reaches this service at, e.g. "https://teleport-pagerduty.example.com").',
    };
  }
  const url = new URL(text.includes("://") ? text : `https://${text}`);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.test(url.hostname))) {
    return {
      problem: `http.public_addr ${JSON.stringify(text)} must be an https URL: PagerDuty sends ` +
        "decisions and the action secret to it.",
    };
  }
  if (url.search !== "" || url.hash !== "") {
    return {
      problem: `http.public_addr ${JSON.stringify(text)} must not have a query or a fragment.`,
    };
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** The setup request, or every problem with the config and flags (each one sentence). */
export function setupRequest(
  config: Config,
  message: ConfigMessage,
  flags: { serviceNames: readonly string[]; dryRun: boolean },
): SetupRequest | { problems: string[] } {
  const problems: string[] = [];
  const publicAddr = publicBaseUrl(config);
  if (typeof publicAddr !== "string") problems.push(publicAddr.problem);
  const serviceNames = [...new Set(flags.serviceNames.map((n) => n.trim()))].filter((n) =>
    n !== ""
  );
  if (serviceNames.length === 0) {
    problems.push(
      "no PagerDuty service was named: pass --service NAME for each service requests are " +
        "opened in (the pagerduty_notify_service annotation of your requester roles).",
    );
  }
  if (problems.length > 0) return { problems };
  return {
    pagerduty: message.pagerduty,
    publicAddr: publicAddr as string,
    serviceNames,
    ...setupSecrets(config),
    dryRun: flags.dryRun,
  };
}

/** The setup worker may reach PagerDuty, and read and write the secret files, nothing else. */
export function setupPermissions(config: Config, request: SetupRequest): SandboxPermissions {
  const files = [
    ...request.webhookSecretFiles,
    ...(request.actionSecret?.kind === "file" ? [request.actionSecret.path] : []),
  ];
  const unique = [...new Set(files)];
  return { net: pagerDutyPermissions(config).net, read: unique, write: unique };
}
