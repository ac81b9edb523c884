/**
 * The `[pagerduty.reviews]` table: approving and denying access requests from inside
 * PagerDuty. The feature is on when `webhook_secrets` or `action_secret` is set; each secret is a
 * value, or the absolute path of a file holding it. Messages never include a secret.
 *
 * @module
 */

import { FileReadError } from "../files.ts";
import type { ConfigWarning } from "./errors.ts";
import type { Section } from "./fields.ts";
import { type ReviewsConfig, Secret } from "./types.ts";

/** Shortest accepted `action_secret`: it is the only thing guarding the V2 action routes. */
export const MIN_ACTION_SECRET_LENGTH = 16;

/** The keys of the table, for the schema. */
export const REVIEWS_KEYS: readonly string[] = [
  "webhook_secrets",
  "action_secret",
  "approve_workflows",
  "deny_workflows",
  "approver_escalation_levels",
  "approver_emails",
  "approver_teams",
];

const PAGERDUTY_ID = /^[A-Za-z0-9]+$/;
const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;

/** How {@link readReviews} reads secret files. */
export interface SecretFileReader {
  /** Reads a file; may stop after `maxFileBytes` + 1 bytes. */
  readonly readFile: (path: string) => Promise<Uint8Array>;
  /** The largest secret file accepted. */
  readonly maxFileBytes: number;
  /**
   * Accept a secret file that is missing or empty (its path is still recorded): for the set-up
   * command, whose job is to write the secret into it.
   */
  readonly allowPendingFiles?: boolean;
}

/**
 * Reads `[pagerduty.reviews]`; undefined when neither secret is set (the feature is off), with
 * a warning when other keys of the table are then ignored.
 */
export async function readReviews(
  s: Section,
  warnings: ConfigWarning[],
  files: SecretFileReader,
): Promise<ReviewsConfig | undefined> {
  const secretFiles: Array<{ key: string; path: string }> = [];
  const webhookSecrets: Secret[] = [];
  const rawSecrets = s.secretList("webhook_secrets") ?? [];
  for (const [i, raw] of rawSecrets.entries()) {
    const key = rawSecrets.length === 1
      ? s.key("webhook_secrets")
      : `${s.key("webhook_secrets")}[${i}]`;
    const secret = await readSecret(s, key, raw, files, secretFiles);
    if (secret !== undefined) webhookSecrets.push(new Secret(secret));
  }
  const actionText = s.string("action_secret", { secret: true });
  let actionSecret: Secret | undefined;
  if (actionText !== undefined) {
    const value = await readSecret(s, s.key("action_secret"), actionText, files, secretFiles);
    if (value !== undefined && value.length < MIN_ACTION_SECRET_LENGTH) {
      s.problem(
        `${s.key("action_secret")} is shorter than ${MIN_ACTION_SECRET_LENGTH} characters: use a ` +
          "long random value, e.g. from `openssl rand -hex 32`.",
      );
    } else if (value !== undefined) {
      actionSecret = new Secret(value);
    }
  }
  const approveWorkflows = ids(s, "approve_workflows", "incident workflow");
  const denyWorkflows = ids(s, "deny_workflows", "incident workflow");
  const both = approveWorkflows.filter((id) => denyWorkflows.includes(id));
  if (both.length > 0) {
    s.problem(
      `${s.key("approve_workflows")} and ${s.key("deny_workflows")} both list ${
        both.join(", ")
      }: a workflow either approves or denies, so keep each ID in one list.`,
    );
  }
  const approverEmails = s.stringList("approver_emails") ?? [];
  const badEmails = approverEmails.filter((e) => !EMAIL.test(e));
  if (badEmails.length > 0) {
    s.problem(
      `${s.key("approver_emails")} ${
        JSON.stringify(badEmails)
      } are not email addresses: list the emails of the PagerDuty users who may decide.`,
    );
  }
  const config: ReviewsConfig = {
    webhookSecrets,
    actionSecret,
    secretFiles,
    approveWorkflows,
    denyWorkflows,
    approverEscalationLevels: s.integerList("approver_escalation_levels", 1, 100) ?? [],
    approverEmails,
    approverTeams: ids(s, "approver_teams", "team"),
  };
  const on = rawSecrets.length > 0 || actionText !== undefined;
  if (!on) {
    const ignored = REVIEWS_KEYS.filter((k) => s.has(k) && k !== "webhook_secrets");
    if (ignored.length > 0) {
      warnings.push({
        key: s.prefix,
        message: `${s.prefix} sets no webhook_secrets or action_secret, so approving and ` +
          `denying from PagerDuty is off and ${ignored.map((k) => s.key(k)).join(", ")} ${
            ignored.length === 1 ? "is" : "are"
          } ignored: set ${s.key("webhook_secrets")} (notes and workflows) or ` +
          `${s.key("action_secret")} (Custom Incident Actions).`,
      });
    }
    return undefined;
  }
  if (rawSecrets.length === 0 && approveWorkflows.length + denyWorkflows.length > 0) {
    warnings.push({
      key: s.key("approve_workflows"),
      message: `incident workflows reach the service as V3 webhooks, which are off without ` +
        `${s.key("webhook_secrets")}: set it, or remove the workflow lists.`,
    });
  }
  return config;
}

/** The secret for `raw`: the value itself, or the content of the file it names. */
async function readSecret(
  s: Section,
  key: string,
  raw: string,
  files: SecretFileReader,
  secretFiles: Array<{ key: string; path: string }>,
): Promise<string | undefined> {
  if (raw.trim() === "") {
    s.problem(
      `${key} is empty: set it to the secret, or to the absolute path of a file holding it.`,
    );
    return undefined;
  }
  let value = raw;
  let from = "";
  if (raw.startsWith("/")) {
    secretFiles.push({ key, path: raw });
    from = ` (read from ${raw})`;
    const content = await readSecretFile(s, key, raw, files);
    if (content === undefined) return undefined;
    value = content;
  }
  if (
    /\s/.test(value) || [...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
  ) {
    s.problem(`${key}${from} contains spaces or control characters: it must be the secret alone.`);
    return undefined;
  }
  return value;
}

async function readSecretFile(
  s: Section,
  key: string,
  path: string,
  files: SecretFileReader,
): Promise<string | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await files.readFile(path);
  } catch (error) {
    const missing = error instanceof Deno.errors.NotFound ||
      (error instanceof FileReadError && error.problem === "not_found");
    if (files.allowPendingFiles && missing) return undefined;
    const reason = error instanceof FileReadError
      ? error.reason
      : missing
      ? "does not exist"
      : error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
      ? "cannot be read (permission denied)"
      : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
    s.problem(
      `${key} names the file ${path}, which ${reason}: create it holding only the secret, ` +
        "readable by the plugin's user.",
    );
    return undefined;
  }
  if (bytes.length > files.maxFileBytes) {
    s.problem(
      `${key} names the file ${path}, which is larger than ${files.maxFileBytes} bytes: point ` +
        "it at a file holding only the secret.",
    );
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).trim();
  } catch {
    s.problem(
      `${key} names the file ${path}, which is not text: point it at a file holding only the ` +
        "secret.",
    );
    return undefined;
  }
  if (text === "") {
    if (files.allowPendingFiles) return undefined;
    s.problem(`${key} names the file ${path}, which is empty: write the secret into it.`);
    return undefined;
  }
  return text;
}

function ids(s: Section, name: string, what: string): string[] {
  const list = s.stringList(name) ?? [];
  const bad = list.filter((id) => !PAGERDUTY_ID.test(id));
  if (bad.length > 0) {
    s.problem(
      `${s.key(name)} ${JSON.stringify(bad)} are not PagerDuty IDs: use ${what} IDs like ` +
        `"PABC123" (the last part of the ${what}'s URL).`,
    );
    return [];
  }
  return list;
}
