/**
 * Turns the TOML config text into the validated {@link Config}: every key of the Go plugin with
 * the same meaning, plus our additive keys. Pure apart from the injected `readFile` (for an API
 * key kept in a file), so every rule is testable without touching the disk.
 *
 * @module
 */

import { parse as parseToml, TomlError } from "smol-toml";
import { isEmailAddress } from "../pagerduty/email.ts";
import { FileReadError } from "../files.ts";
import { DEFAULT_API_ENDPOINT, parseApiEndpoint } from "../pagerduty/endpoint.ts";
import { parseListenAddr } from "../http/listen_addr.ts";
import { AUTH_SERVICE_PORT, parseHostPort } from "./address.ts";
import { chooseCredentials } from "./credentials.ts";
import { ConfigError, type ConfigWarning } from "./errors.ts";
import { MAX_DURATION_MS, Section } from "./fields.ts";
import { readAccessEnd } from "./access_end.ts";
import { readReviews } from "./reviews.ts";
import { checkKeys, REQUEST_ANNOTATIONS_ALIASES } from "./schema.ts";
import {
  type AutoApprovalConfig,
  type Config,
  type HttpConfig,
  type LogConfig,
  type PagerDutyConfig,
  type ProcessingConfig,
  Secret,
  type TeleportConfig,
} from "./types.ts";

/** Defaults for every optional key, in the units the {@link Config} uses. */
export const DEFAULTS = {
  teleportAddr: "localhost:3025",
  refreshIdentityIntervalMs: 60_000,
  apiEndpoint: DEFAULT_API_ENDPOINT,
  notifyServiceAnnotation: "pagerduty_notify_service",
  servicesAnnotation: "pagerduty_services",
  requestTimeoutMs: 10_000,
  maxRequestsPerMinute: 900,
  logOutput: "stderr",
  concurrency: 16,
  reconcileIntervalMs: 300_000,
} as const;

/**
 * The longest value of each duration setting (each is at least 1 s). Past these a setting does
 * nothing useful: a PagerDuty call that has not answered in five minutes will not, and a day
 * between identity checks or reconciliations already means "rarely".
 */
export const DURATION_LIMITS = {
  refreshIdentityMaxMs: MAX_DURATION_MS,
  requestTimeoutMaxMs: 5 * 60_000,
  reconcileMaxMs: MAX_DURATION_MS,
} as const;

/** PagerDuty's own limit per API key; a higher client-side limit only collects 429s. */
export const PAGERDUTY_RATE_LIMIT_PER_MINUTE = 960;

/** The largest API key file read; keys are a few dozen bytes, so more means a wrong file. */
export const MAX_API_KEY_FILE_BYTES = 4096;

/** How {@link parseConfig} names the file and reads files the config points at. */
export interface ParseConfigOptions {
  /** The config file the text came from, named in every message. */
  readonly path: string;
  /**
   * Reads a file the config names (`pagerduty.api_key = "/path"`). It may stop after
   * {@link MAX_API_KEY_FILE_BYTES} + 1 bytes, which already proves the file too big.
   */
  readonly readFile: (path: string) => Promise<Uint8Array>;
  /** Accept secret files that are missing or empty (the set-up command writes them). */
  readonly allowPendingSecretFiles?: boolean;
}

/** A usable config and what deserves the operator's attention in it. */
export interface ParsedConfig {
  readonly config: Config;
  readonly warnings: readonly ConfigWarning[];
}

const PAGERDUTY_ID = /^[A-Za-z0-9]+$/;

/**
 * Parses and validates the config text.
 *
 * @throws {ConfigError} listing every problem: TOML syntax (with line and column), removed keys,
 *   missing or invalid values; the API key's value is never included.
 */
export async function parseConfig(
  text: string,
  options: ParseConfigOptions,
): Promise<ParsedConfig> {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) throw new ConfigError(options.path, [syntaxProblem(error)]);
    throw error;
  }
  const problems: string[] = [];
  const warnings: ConfigWarning[] = [];
  checkKeys(doc, warnings);
  const teleport = readTeleport(new Section("teleport", doc.teleport, problems), warnings);
  const pagerduty = await readPagerDuty(
    new Section("pagerduty", doc.pagerduty, problems),
    warnings,
    options.readFile,
    options.allowPendingSecretFiles ?? false,
  );
  const httpSection = new Section("http", doc.http, problems);
  const http = readHttp(httpSection, warnings);
  checkReviewsListener(pagerduty, httpSection.has("listen_addr"), http, problems, warnings);
  const log = readLog(new Section("log", doc.log, problems));
  const processing = readProcessing(new Section("processing", doc.processing, problems));
  if (problems.length > 0) throw new ConfigError(options.path, problems);
  return {
    // Every reader returned a value: a reader returns undefined only after recording a problem.
    config: { teleport: teleport!, pagerduty: pagerduty!, http, log, processing },
    warnings,
  };
}

function syntaxProblem(error: TomlError): string {
  const reason = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
  return `line ${error.line}, column ${error.column}: TOML syntax error: ${reason}.`;
}

function readTeleport(s: Section, warnings: ConfigWarning[]): TeleportConfig | undefined {
  let addrKey = s.key("addr");
  let addr = s.nonEmptyString("addr");
  const authServer = s.nonEmptyString("auth_server");
  if (authServer !== undefined && addr !== undefined) {
    warnings.push({
      key: s.key("auth_server"),
      message: "teleport.auth_server is ignored because teleport.addr is set: delete it.",
    });
  } else if (authServer !== undefined) {
    addrKey = s.key("auth_server");
    addr = authServer;
    warnings.push({
      key: addrKey,
      message: "teleport.auth_server is deprecated: rename it to teleport.addr (same value).",
    });
  }
  addr ??= DEFAULTS.teleportAddr;
  const addrOk = (parseHostPort(addr)?.port ?? 0) > 0;
  if (!addrOk) {
    s.problem(
      `${addrKey} ${
        JSON.stringify(addr)
      } must be host:port, e.g. "teleport.example.com:3025" (Auth Service) or "example.teleport.sh:443" (Proxy).`,
    );
  }
  const identity = s.text("identity", "a file path");
  const clientKey = s.text("client_key", "a file path");
  const clientCrt = s.text("client_crt", "a file path");
  const rootCas = s.text("root_cas", "a file path");
  // Naming no credentials still parses (see credentials.ts); naming them wrongly does not.
  const credentials = chooseCredentials({ identity, clientKey, clientCrt, rootCas });
  const credentialsOk = !("problem" in credentials) || credentials.problem.kind === "none";
  if ("problem" in credentials && !credentialsOk) s.problem(credentials.problem.message);
  // Teleport documents `--format=tls` files for direct Auth Service connections only (the Go
  // plugin cannot use them through a Proxy), so a Proxy address would work here and nowhere else.
  const tripleOnProxy = credentialsOk && "files" in credentials &&
    credentials.files.kind === "tls_files" && addrOk &&
    parseHostPort(addr)?.port !== AUTH_SERVICE_PORT;
  if (tripleOnProxy) {
    s.problem(
      `teleport.client_key, teleport.client_crt and teleport.root_cas (tctl auth sign ` +
        `--format=tls) are for a direct Auth Service connection on port ${AUTH_SERVICE_PORT}, ` +
        `but ${addrKey} ${JSON.stringify(addr)} is not one: point it at the Auth Service ` +
        `(host:${AUTH_SERVICE_PORT}), or use an identity file (teleport.identity, from tbot or ` +
        "`tctl auth sign --format=file`) for a Proxy.",
    );
  }
  const refreshIdentity = s.boolean("refresh_identity") ?? false;
  if (refreshIdentity && identity === undefined) {
    s.problem(
      "teleport.refresh_identity = true needs teleport.identity: set the identity file that tbot " +
        "renews, or remove refresh_identity.",
    );
  }
  const interval = s.duration(
    "refresh_identity_interval",
    1000,
    DURATION_LIMITS.refreshIdentityMaxMs,
  );
  const webProxyAddr = s.nonEmptyString("web_proxy_addr");
  if (webProxyAddr !== undefined && httpUrl(webProxyAddr) === undefined) {
    s.problem(
      `teleport.web_proxy_addr ${
        JSON.stringify(webProxyAddr)
      } must be the Proxy's public address, like "teleport.example.com:443" or "https://teleport.example.com".`,
    );
  }
  if (!addrOk || !credentialsOk) return undefined;
  return {
    addr,
    identity,
    clientKey,
    clientCrt,
    rootCas,
    refreshIdentity,
    refreshIdentityIntervalMs: interval ?? DEFAULTS.refreshIdentityIntervalMs,
    webProxyAddr,
  };
}

async function readPagerDuty(
  s: Section,
  warnings: ConfigWarning[],
  readFile: ParseConfigOptions["readFile"],
  allowPendingSecretFiles: boolean,
): Promise<PagerDutyConfig | undefined> {
  const apiKey = await readApiKey(s, readFile);
  const userEmail = s.nonEmptyString("user_email");
  if (userEmail === undefined) {
    s.problem(
      "pagerduty.user_email is missing: set it to the email of the PagerDuty user the plugin acts " +
        "as (notes and incidents are attributed to it).",
    );
  } else if (!isEmailAddress(userEmail)) {
    s.problem(
      `pagerduty.user_email ${
        JSON.stringify(userEmail)
      } is not an email address: set it to the email of a PagerDuty user, like "teleport-bot@example.com".`,
    );
  }
  let apiEndpoint: string = DEFAULTS.apiEndpoint;
  const endpointText = s.nonEmptyString("api_endpoint");
  if (endpointText !== undefined) {
    try {
      const url = parseApiEndpoint(endpointText, s.key("api_endpoint"));
      apiEndpoint = url.origin + (url.pathname === "/" ? "" : url.pathname);
    } catch (error) {
      // parseApiEndpoint throws only config errors, each one sentence naming the key.
      s.problem(error instanceof Error ? error.message : String(error));
    }
  }
  const annotations = readAnnotations(s);
  const rate = s.integer("rate_limit_per_minute", 1, 100_000);
  if (rate !== undefined && rate > PAGERDUTY_RATE_LIMIT_PER_MINUTE) {
    warnings.push({
      key: s.key("rate_limit_per_minute"),
      message: `pagerduty.rate_limit_per_minute ${rate} is above PagerDuty's limit of ` +
        `${PAGERDUTY_RATE_LIMIT_PER_MINUTE} requests per minute per key, so ` +
        `${PAGERDUTY_RATE_LIMIT_PER_MINUTE} is used: lower it to silence this warning.`,
    });
  }
  const fields = {
    authScheme: s.choice("auth_scheme", ["token", "bearer"] as const) ?? "token",
    urgency: s.choice("urgency", ["high", "low"] as const),
    priority: s.text("priority", "a priority name or ID"),
    requestTimeoutMs: s.duration("request_timeout", 1000, DURATION_LIMITS.requestTimeoutMaxMs) ??
      DEFAULTS.requestTimeoutMs,
    maxRequestsPerMinute: Math.min(
      rate ?? DEFAULTS.maxRequestsPerMinute,
      PAGERDUTY_RATE_LIMIT_PER_MINUTE,
    ),
  };
  const autoApprovalSection = s.table("auto_approval");
  const autoApproval = readAutoApproval(autoApprovalSection);
  const accessEnd = readAccessEnd(s, autoApprovalSection, autoApproval.enabled, warnings);
  const reviews = await readReviews(s.table("reviews"), warnings, {
    readFile,
    allowPendingFiles: allowPendingSecretFiles,
    maxFileBytes: MAX_API_KEY_FILE_BYTES,
  });
  // Ignoring a Go 0.x `auto_approve = false` would turn approval on: refuse it instead.
  if (s.has("auto_approve") && s.boolean("auto_approve") === false && autoApproval.enabled) {
    s.problem(
      "pagerduty.auto_approve = false no longer turns auto-approval off (the key was removed in " +
        "6.2), so ignoring it would approve on-call requesters: replace it with " +
        "[pagerduty.auto_approval] enabled = false, or delete it to allow auto-approval.",
    );
  }
  if (apiKey === undefined || userEmail === undefined || annotations === undefined) {
    return undefined;
  }
  const apiKeyText = s.string("api_key", { secret: true });
  return {
    apiKey,
    apiKeyFile: apiKeyText?.startsWith("/") ? apiKeyText : undefined,
    userEmail,
    apiEndpoint,
    ...annotations,
    ...fields,
    autoApproval,
    accessEnd,
    reviews,
  };
}

async function readApiKey(
  s: Section,
  readFile: ParseConfigOptions["readFile"],
): Promise<Secret | undefined> {
  const value = s.string("api_key", { secret: true });
  if (value === undefined || value.trim() === "") {
    if (!s.has("api_key") || value !== undefined) {
      s.problem(
        "pagerduty.api_key is missing: set it to a PagerDuty REST API key, or to the absolute path " +
          "of a file holding one.",
      );
    }
    return undefined;
  }
  let key = value;
  if (value.startsWith("/")) {
    const fromFile = await readApiKeyFile(s, value, readFile);
    if (fromFile === undefined) return undefined;
    key = fromFile;
  }
  // A newline or space inside the key would break (or inject into) the Authorization header.
  if (/\s/.test(key) || [...key].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    s.problem(
      `pagerduty.api_key${
        value.startsWith("/") ? ` (read from ${value})` : ""
      } contains spaces or control characters: it must be the API key alone.`,
    );
    return undefined;
  }
  return new Secret(key);
}

async function readApiKeyFile(
  s: Section,
  path: string,
  readFile: ParseConfigOptions["readFile"],
): Promise<string | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const reason = error instanceof FileReadError
      ? error.reason
      : error instanceof Deno.errors.NotFound
      ? "does not exist"
      : error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
      ? "cannot be read (permission denied)"
      : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
    s.problem(
      `pagerduty.api_key names the file ${path}, which ${reason}: create it holding only the ` +
        "API key, readable by the plugin's user.",
    );
    return undefined;
  }
  if (bytes.length > MAX_API_KEY_FILE_BYTES) {
    s.problem(
      `pagerduty.api_key names the file ${path}, which is larger than ${MAX_API_KEY_FILE_BYTES} ` +
        "bytes: point it at a file holding only the API key.",
    );
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).trim();
  } catch {
    s.problem(
      `pagerduty.api_key names the file ${path}, which is not text: point it at a file holding ` +
        "only the API key.",
    );
    return undefined;
  }
  if (text === "") {
    s.problem(
      `pagerduty.api_key names the file ${path}, which is empty: write the PagerDuty API key ` +
        "into it.",
    );
    return undefined;
  }
  return text;
}

/**
 * The annotation names, from our flat keys or the Go plugin's `[pagerduty.requestannotations]`
 * sub-table (either works; both at once must agree).
 */
function readAnnotations(
  s: Section,
): { notifyServiceAnnotation: string; servicesAnnotation: string } | undefined {
  const legacy = s.table("requestannotations", ...REQUEST_ANNOTATIONS_ALIASES);
  const pairs = [
    ["notify_service_annotation", "notify_service", DEFAULTS.notifyServiceAnnotation],
    ["services_annotation", "services", DEFAULTS.servicesAnnotation],
  ] as const;
  const result: string[] = [];
  let ok = true;
  for (const [flatKey, legacyKey, fallback] of pairs) {
    const flat = s.text(flatKey, "an annotation name");
    const old = legacy.text(legacyKey, "an annotation name");
    if (flat !== undefined && old !== undefined && flat !== old) {
      ok = false;
      s.problem(
        `${s.key(flatKey)} ${JSON.stringify(flat)} and ${legacy.key(legacyKey)} ${
          JSON.stringify(old)
        } disagree: keep only ${s.key(flatKey)}.`,
      );
    }
    if ((s.has(flatKey) && flat === undefined) || (legacy.has(legacyKey) && old === undefined)) {
      ok = false;
    }
    result.push(flat ?? old ?? fallback);
  }
  return ok ? { notifyServiceAnnotation: result[0], servicesAnnotation: result[1] } : undefined;
}

function readAutoApproval(s: Section): AutoApprovalConfig {
  const scheduleIds = s.stringList("schedule_ids") ?? [];
  const badIds = scheduleIds.filter((id) => !PAGERDUTY_ID.test(id));
  if (badIds.length > 0) {
    s.problem(
      `pagerduty.auto_approval.schedule_ids ${
        JSON.stringify(badIds)
      } are not PagerDuty IDs: use schedule IDs like "PABC123" (the last part of the schedule's URL).`,
    );
  }
  return {
    enabled: s.boolean("enabled") ?? true,
    maxEscalationLevel: s.integer("max_escalation_level", 1, 100),
    scheduleIds,
    roles: s.stringList("roles") ?? [],
    emailTrait: s.text("email_trait", "a user trait name"),
  };
}

function readHttp(s: Section, warnings: ConfigWarning[]): HttpConfig | undefined {
  const listenAddr = s.nonEmptyString("listen_addr");
  const publicAddr = s.nonEmptyString("public_addr");
  const certFile = s.text("https_cert_file", "a file path");
  const keyFile = s.text("https_key_file", "a file path");
  if (publicAddr !== undefined && httpUrl(publicAddr) === undefined) {
    s.problem(
      `http.public_addr ${
        JSON.stringify(publicAddr)
      } must be the URL PagerDuty reaches the listener at, like "https://teleport-pagerduty.example.com".`,
    );
  }
  if ((certFile === undefined) !== (keyFile === undefined)) {
    s.problem(
      `${certFile === undefined ? "http.https_key_file" : "http.https_cert_file"} is set without ${
        certFile === undefined ? "http.https_cert_file" : "http.https_key_file"
      }: set both to serve HTTPS, or neither to serve plain HTTP.`,
    );
  }
  if (listenAddr === undefined) {
    const stray = ["public_addr", "https_cert_file", "https_key_file"].filter((k) => s.has(k));
    if (stray.length > 0) {
      warnings.push({
        key: s.key("listen_addr"),
        message: `http.listen_addr is not set, so the HTTP listener is off and ${
          stray.map((k) => s.key(k)).join(", ")
        } ${stray.length === 1 ? "is" : "are"} ignored: set http.listen_addr, e.g. ":8081".`,
      });
    }
    return undefined;
  }
  try {
    parseListenAddr(listenAddr);
  } catch (error) {
    // The listener's own parser, so the config accepts exactly what it can bind.
    s.problem(error instanceof Error ? error.message : String(error));
    return undefined;
  }
  return { listenAddr, publicAddr, httpsCertFile: certFile, httpsKeyFile: keyFile };
}

/**
 * Approving from PagerDuty needs the listener PagerDuty posts to, and a public address that
 * keeps the signatures and the action secret off the wire in clear.
 */
function checkReviewsListener(
  pagerduty: PagerDutyConfig | undefined,
  listenAddrSet: boolean,
  http: HttpConfig | undefined,
  problems: string[],
  warnings: ConfigWarning[],
): void {
  if (pagerduty?.reviews === undefined) return;
  if (!listenAddrSet) {
    problems.push(
      "pagerduty.reviews is on (webhook_secrets or action_secret is set) but http.listen_addr " +
        'is not set: set http.listen_addr, e.g. ":8081", so PagerDuty can deliver approvals ' +
        "and denials.",
    );
    return;
  }
  const publicAddr = http?.publicAddr;
  if (publicAddr !== undefined && httpUrl(publicAddr)?.protocol === "http:") {
    warnings.push({
      key: "http.public_addr",
      message:
        `http.public_addr ${
          JSON.stringify(publicAddr)
        } is plain HTTP, so PagerDuty would send approvals and the action secret unencrypted: ` +
        "use an https:// address (a TLS-terminating proxy or http.https_cert_file).",
    });
  }
}

const SEVERITIES: Readonly<Record<string, LogConfig["severity"]>> = {
  debug: "debug",
  info: "info",
  warn: "warn",
  warning: "warn",
  error: "error",
  err: "error",
};

const OUTPUTS: Readonly<Record<string, string>> = {
  stderr: "stderr",
  error: "stderr",
  "2": "stderr",
  stdout: "stdout",
  out: "stdout",
  "1": "stdout",
};

function readLog(s: Section): LogConfig {
  const output = s.text("output", `"stderr", "stdout" or a file path`) ??
    DEFAULTS.logOutput;
  const severityText = s.nonEmptyString("severity");
  let severity: LogConfig["severity"] = "info";
  if (severityText !== undefined) {
    const found = SEVERITIES[severityText.toLowerCase()];
    if (found === undefined) {
      s.problem(
        `log.severity ${
          JSON.stringify(severityText)
        } is not allowed: use "debug", "info", "warn" or "error" (any case).`,
      );
    } else {
      severity = found;
    }
  }
  return {
    output: OUTPUTS[output.toLowerCase()] ?? output,
    severity,
    format: s.choice("format", ["text", "json"] as const) ?? "text",
  };
}

function readProcessing(s: Section): ProcessingConfig {
  return {
    concurrency: s.integer("concurrency", 1, 1024) ?? DEFAULTS.concurrency,
    reconcileIntervalMs: s.duration("reconcile_interval", 1000, DURATION_LIMITS.reconcileMaxMs) ??
      DEFAULTS.reconcileIntervalMs,
  };
}

/** The URL for an address given as a URL or as `host[:port]`; undefined when it is neither. */
function httpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text.includes("://") ? text : `https://${text}`);
    if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
    if (url.hostname === "" || url.username !== "" || url.password !== "") return undefined;
    return url;
  } catch {
    return undefined;
  }
}
