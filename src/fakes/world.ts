/**
 * A complete stand-in world for the service: the fake Auth Service with the plugin's user and
 * identity file, the fake PagerDuty with the demo account, and a {@linkcode Config} pointing the
 * real service at both. The end-to-end tests, the embedded demo and the benchmark all start
 * from here, so they exercise the same set-up.
 *
 * @module
 */

import { join } from "node:path";
import type {
  AccessEndConfig,
  AutoApprovalConfig,
  Config,
  ReviewsConfig,
} from "../config/types.ts";
import { DEFAULT_ACCESS_END } from "../config/access_end.ts";
import { Secret } from "../config/types.ts";
import { ACCESS_PLUGIN_PERMISSIONS, type Permissions } from "./auth/rbac.ts";
import { FakeAuthServer } from "./auth/server.ts";
import { type DemoAccount, FakePagerDuty, seedDemo } from "./pagerduty/mod.ts";
import { writeIdentityFile } from "./pki.ts";

/** The Teleport user the service runs as. */
export const PLUGIN_USER = "teleport-plugin";

/** Options of {@linkcode World.start}. */
export interface WorldOptions {
  /** The fake PagerDuty's rate limit per minute; none by default. */
  readonly pagerDutyRateLimitPerMinute?: number;
  /** The plugin user's Teleport permissions; the docs' access-plugin role plus reviews. */
  readonly pluginPermissions?: Permissions;
  /** How often the fake Auth deletes expired requests; 1000 ms by default. */
  readonly expirySweepMs?: number;
}

/** Changes to the generated config. */
export interface ConfigOverrides {
  readonly autoApproval?: Partial<AutoApprovalConfig>;
  readonly accessEnd?: Partial<AccessEndConfig>;
  readonly concurrency?: number;
  readonly reconcileIntervalMs?: number;
  readonly maxRequestsPerMinute?: number;
  readonly http?: Config["http"];
  /** `[pagerduty.reviews]`; secrets given as values. Needs `http`. */
  readonly reviews?: ReviewsConfig;
  /** `[log] severity`; by default `info` in-process and `warn` in the written config file. */
  readonly logSeverity?: Config["log"]["severity"];
  readonly refreshIdentity?: boolean;
  readonly refreshIdentityIntervalMs?: number;
  /** Urgency sent with new incidents; none by default, as with the Go plugin. */
  readonly urgency?: "high" | "low";
}

/** The fakes, the seeded accounts and the files the service needs. */
export class World {
  /** The fake Teleport Auth Service. */
  readonly auth: FakeAuthServer;
  /** The fake PagerDuty. */
  readonly pagerduty: FakePagerDuty;
  /** Who is who in PagerDuty. */
  readonly account: DemoAccount;
  /** Temporary directory holding the identity file. */
  readonly dir: string;
  /** The plugin's identity file. */
  readonly identityPath: string;

  private constructor(
    auth: FakeAuthServer,
    pagerduty: FakePagerDuty,
    account: DemoAccount,
    dir: string,
    identityPath: string,
  ) {
    this.auth = auth;
    this.pagerduty = pagerduty;
    this.account = account;
    this.dir = dir;
    this.identityPath = identityPath;
  }

  /** Starts both fakes, seeds them, and writes the plugin's identity file. */
  static async start(options: WorldOptions = {}): Promise<World> {
    const auth = await FakeAuthServer.start({
      proxyPublicAddr: "teleport.example.com:443",
      expirySweepMs: options.expirySweepMs,
    });
    let pagerduty: FakePagerDuty | undefined;
    try {
      pagerduty = await FakePagerDuty.start({
        rateLimitPerMinute: options.pagerDutyRateLimitPerMinute,
      });
      const account = seedDemo(pagerduty);
      auth.addUser({
        name: PLUGIN_USER,
        roles: ["access-plugin"],
        permissions: options.pluginPermissions ?? ACCESS_PLUGIN_PERMISSIONS,
      });
      const dir = await Deno.makeTempDir({ prefix: "teleport-pagerduty-" });
      const identityPath = await writeIdentityFile(dir, await auth.issueIdentity(PLUGIN_USER));
      return new World(auth, pagerduty, account, dir, identityPath);
    } catch (error) {
      await pagerduty?.stop();
      await auth.stop();
      throw error;
    }
  }

  /** A config for the real service against this world. */
  config(overrides: ConfigOverrides = {}): Config {
    return {
      teleport: {
        addr: this.auth.addr,
        identity: this.identityPath,
        refreshIdentity: overrides.refreshIdentity ?? false,
        refreshIdentityIntervalMs: overrides.refreshIdentityIntervalMs ?? 60_000,
      },
      pagerduty: {
        apiKey: new Secret(this.pagerduty.apiKey),
        authScheme: "token",
        userEmail: this.account.bot.email,
        apiEndpoint: this.pagerduty.url,
        notifyServiceAnnotation: "pagerduty_notify_service",
        servicesAnnotation: "pagerduty_services",
        urgency: overrides.urgency,
        requestTimeoutMs: 10_000,
        maxRequestsPerMinute: overrides.maxRequestsPerMinute ?? 100_000,
        autoApproval: { enabled: true, scheduleIds: [], roles: [], ...overrides.autoApproval },
        accessEnd: { ...DEFAULT_ACCESS_END, ...overrides.accessEnd },
        reviews: overrides.reviews,
      },
      http: overrides.http,
      log: { output: "stderr", severity: overrides.logSeverity ?? "info", format: "text" },
      processing: {
        concurrency: overrides.concurrency ?? 16,
        reconcileIntervalMs: overrides.reconcileIntervalMs ?? 300_000,
      },
    };
  }

  /** The same config as a TOML file, for running the service as a separate process. */
  async writeConfigFile(overrides: ConfigOverrides = {}): Promise<string> {
    const c = this.config(overrides);
    const lines = [
      "[teleport]",
      `addr = ${JSON.stringify(c.teleport.addr)}`,
      `identity = ${JSON.stringify(c.teleport.identity)}`,
      "",
      "[pagerduty]",
      `api_key = ${JSON.stringify(c.pagerduty.apiKey.reveal())}`,
      `user_email = ${JSON.stringify(c.pagerduty.userEmail)}`,
      `api_endpoint = ${JSON.stringify(c.pagerduty.apiEndpoint)}`,
      `rate_limit_per_minute = ${Math.min(c.pagerduty.maxRequestsPerMinute, 960)}`,
      `incident_services_annotation = ${
        JSON.stringify(c.pagerduty.accessEnd.incidentServicesAnnotation)
      }`,
      "",
      "[pagerduty.auto_approval]",
      `end_with_shift = ${c.pagerduty.accessEnd.endWithShift}`,
      "",
      "[pagerduty.incident_access]",
      `enabled = ${c.pagerduty.accessEnd.incidentAccess}`,
      `poll_interval = "${c.pagerduty.accessEnd.incidentPollIntervalMs}ms"`,
      "",
      "[processing]",
      `concurrency = ${c.processing.concurrency}`,
      "",
      "[log]",
      `severity = "${overrides.logSeverity ?? "warn"}"`,
    ];
    if (c.http) lines.push("", "[http]", `listen_addr = ${JSON.stringify(c.http.listenAddr)}`);
    const reviews = c.pagerduty.reviews;
    if (reviews) {
      const list = (values: readonly (string | number)[]) => JSON.stringify(values);
      lines.push(
        "",
        "[pagerduty.reviews]",
        `webhook_secrets = ${list(reviews.webhookSecrets.map((secret) => secret.reveal()))}`,
        ...(reviews.actionSecret
          ? [`action_secret = ${JSON.stringify(reviews.actionSecret.reveal())}`]
          : []),
        `approve_workflows = ${list(reviews.approveWorkflows)}`,
        `deny_workflows = ${list(reviews.denyWorkflows)}`,
        `approver_escalation_levels = ${list(reviews.approverEscalationLevels)}`,
        `approver_emails = ${list(reviews.approverEmails)}`,
        `approver_teams = ${list(reviews.approverTeams)}`,
      );
    }
    const path = join(this.dir, "teleport-pagerduty.toml");
    await Deno.writeTextFile(path, lines.join("\n") + "\n", { mode: 0o600 });
    return path;
  }

  /** Stops both fakes and removes the files. */
  async stop(): Promise<void> {
    await this.pagerduty.stop();
    await this.auth.stop();
    await Deno.remove(this.dir, { recursive: true });
  }
}
