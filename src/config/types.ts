/**
 * The validated configuration every part of the service reads. `src/config/` turns the TOML
 * file (the Go plugin's keys plus our additive ones) into this; nothing else parses TOML.
 *
 * @module
 */

import { Secret } from "../util/secret.ts";

export { Secret };

/** How to reach and authenticate to the Teleport Auth Service. */
export interface TeleportConfig {
  /** `host:port` of the Auth Service (3025) or Proxy (443/3080, `*.teleport.sh:443`). */
  readonly addr: string;
  /** Identity file (`tctl auth sign --format=file`, or tbot's `identity`). */
  readonly identity?: string;
  /** The `--format=tls` triple; all three or none. */
  readonly clientKey?: string;
  readonly clientCrt?: string;
  readonly rootCas?: string;
  /** Re-read the identity file periodically (tbot rotates it). */
  readonly refreshIdentity: boolean;
  readonly refreshIdentityIntervalMs: number;
  /** Overrides the Proxy public address used in request links (`host[:port]` or URL). */
  readonly webProxyAddr?: string;
}

/** Filters on who may be auto-approved because they are on call. */
export interface AutoApprovalConfig {
  /** When false, the service never submits reviews. */
  readonly enabled: boolean;
  /** Highest escalation level that counts (1 = first level only); undefined counts any level. */
  readonly maxEscalationLevel?: number;
  /** Only on-calls from these schedule IDs count; empty means any schedule or direct target. */
  readonly scheduleIds: readonly string[];
  /** Only requests whose roles are all in this list are auto-approved; empty means any role. */
  readonly roles: readonly string[];
  /** User trait holding the PagerDuty email when the Teleport username is not an email. */
  readonly emailTrait?: string;
}

/**
 * Access that ends before its TTL, with a Teleport lock on the request: when the requester's
 * on-call shift ends, or when the incident the request cites is resolved.
 */
export interface AccessEndConfig {
  /** `[pagerduty.auto_approval] end_with_shift`: lock on-call approvals when the shift ends. */
  readonly endWithShift: boolean;
  /** `[pagerduty.incident_access] enabled`: approve responders of a cited open incident. */
  readonly incidentAccess: boolean;
  /** Annotation naming the services whose incidents justify access. */
  readonly incidentServicesAnnotation: string;
  /** `[pagerduty.incident_access] poll_interval`: how often watched incidents are checked. */
  readonly incidentPollIntervalMs: number;
}

/**
 * Approving and denying from PagerDuty (`[pagerduty.reviews]`). Present only when a secret is
 * set: `webhookSecrets` turns on note commands and workflows (signed V3 webhooks),
 * `actionSecret` the Custom Incident Actions.
 */
export interface ReviewsConfig {
  /** V3 webhook subscription secrets; several during a rotation; empty turns V3 off. */
  readonly webhookSecrets: readonly Secret[];
  /** The per-install secret Custom Incident Actions send; undefined turns them off. */
  readonly actionSecret?: Secret;
  /** Files the secrets were read from, with the key naming each (for permission warnings). */
  readonly secretFiles: ReadonlyArray<{ readonly key: string; readonly path: string }>;
  /** IDs of the incident workflows that approve. */
  readonly approveWorkflows: readonly string[];
  /** IDs of the incident workflows that deny. */
  readonly denyWorkflows: readonly string[];
  /** Escalation levels whose on-call responders may decide; empty means any level. */
  readonly approverEscalationLevels: readonly number[];
  /** When set (with or without teams), only these PagerDuty users may decide, on call or not. */
  readonly approverEmails: readonly string[];
  /** When set (with or without emails), only members of these PagerDuty teams may decide. */
  readonly approverTeams: readonly string[];
}

/** How to reach PagerDuty and what to create there. */
export interface PagerDutyConfig {
  readonly apiKey: Secret;
  /** The file the key was read from, when `pagerduty.api_key` named one (a value starting with `/`). */
  readonly apiKeyFile?: string;
  /** `Token` for REST API keys, `Bearer` for OAuth access tokens. */
  readonly authScheme: "token" | "bearer";
  /** Email of the PagerDuty user the service acts as (`From` header). */
  readonly userEmail: string;
  /** Base URL, `https://api.pagerduty.com` by default; `http://` only for loopback hosts. */
  readonly apiEndpoint: string;
  /** Annotation naming the service(s) to open incidents in. */
  readonly notifyServiceAnnotation: string;
  /** Annotation naming the services whose on-call responders are auto-approved. */
  readonly servicesAnnotation: string;
  /**
   * Urgency of new incidents; undefined sends none, so the PagerDuty service's own urgency rules
   * (constant, support hours) decide, as with the Go plugin.
   */
  readonly urgency?: "high" | "low";
  /** Priority name or ID for new incidents; undefined leaves the service's default. */
  readonly priority?: string;
  readonly requestTimeoutMs: number;
  /** Client-side limit, kept under PagerDuty's 960 requests per minute per key. */
  readonly maxRequestsPerMinute: number;
  readonly autoApproval: AutoApprovalConfig;
  readonly accessEnd: AccessEndConfig;
  /** Approve and deny from PagerDuty; undefined when off. */
  readonly reviews?: ReviewsConfig;
}

/** The optional HTTP listener for health, metrics and PagerDuty webhooks. */
export interface HttpConfig {
  /** `host:port` to listen on. */
  readonly listenAddr: string;
  /**
   * Public base URL PagerDuty reaches the listener at (`https://…`); `setup-pagerduty` points
   * the webhook subscription and the Custom Incident Actions at it.
   */
  readonly publicAddr?: string;
  readonly httpsCertFile?: string;
  readonly httpsKeyFile?: string;
}

/** Where and how to log. */
export interface LogConfig {
  /** `stderr`, `stdout`, or a file path. */
  readonly output: string;
  readonly severity: "debug" | "info" | "warn" | "error";
  readonly format: "text" | "json";
}

/** How much work runs at once and how often everything is re-checked. */
export interface ProcessingConfig {
  /** Requests handled in parallel. */
  readonly concurrency: number;
  /** Interval of the full reconciliation against Teleport and PagerDuty. */
  readonly reconcileIntervalMs: number;
}

/** The whole, validated configuration. */
export interface Config {
  readonly teleport: TeleportConfig;
  readonly pagerduty: PagerDutyConfig;
  /** Absent unless `[http] listen_addr` is set. */
  readonly http?: HttpConfig;
  readonly log: LogConfig;
  readonly processing: ProcessingConfig;
}
