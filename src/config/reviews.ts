/**
 * `[pagerduty.reviews]`: the secrets that authenticate PagerDuty's deliveries of responders'
 * decisions. Each secret is given as its value or as the absolute path of a file holding it; the
 * files are not read here, because `setup-pagerduty` is what writes them (PagerDuty hands out a
 * webhook subscription's secret only once, on creation), so at set-up time they may not exist yet.
 *
 * @module
 */

import type { Section } from "./fields.ts";
import { Secret } from "./types.ts";

/** A secret from the config: its value, or the absolute path of the file that holds it. */
export type SecretSource =
  | { readonly kind: "value"; readonly value: Secret }
  | { readonly kind: "file"; readonly path: string };

/** The secrets of `[pagerduty.reviews]`. */
export interface ReviewsConfig {
  /** V3 webhook subscription secrets, several at once during a rotation. */
  readonly webhookSecrets: readonly SecretSource[];
  /** The per-install secret Custom Incident Actions send in a header. */
  readonly actionSecret?: SecretSource;
}

/** A {@link SecretSource} with the value unwrapped, for `postMessage` only. */
export type SecretSourceMessage =
  | { readonly kind: "value"; readonly value: string }
  | { readonly kind: "file"; readonly path: string };

/** {@link ReviewsConfig} with the values unwrapped, for `postMessage` only. */
export interface ReviewsConfigMessage {
  readonly webhookSecrets: readonly SecretSourceMessage[];
  readonly actionSecret?: SecretSourceMessage;
}

/** Unwraps the secret values so the section survives `postMessage`. */
export function reviewsToMessage(reviews: ReviewsConfig): ReviewsConfigMessage {
  return {
    webhookSecrets: reviews.webhookSecrets.map(sourceToMessage),
    actionSecret: reviews.actionSecret && sourceToMessage(reviews.actionSecret),
  };
}

/** Wraps the secret values again on the receiving side. */
export function reviewsFromMessage(message: ReviewsConfigMessage): ReviewsConfig {
  return {
    webhookSecrets: message.webhookSecrets.map(sourceFromMessage),
    actionSecret: message.actionSecret && sourceFromMessage(message.actionSecret),
  };
}

function sourceToMessage(source: SecretSource): SecretSourceMessage {
  return source.kind === "file" ? source : { kind: "value", value: source.value.reveal() };
}

function sourceFromMessage(source: SecretSourceMessage): SecretSource {
  return source.kind === "file" ? source : { kind: "value", value: new Secret(source.value) };
}

/** Reads `[pagerduty.reviews]`; a bad entry is recorded as a problem without its value. */
export function readReviews(s: Section): ReviewsConfig {
  const webhookSecrets: SecretSource[] = [];
  const list = s.stringList("webhook_secrets", { secret: true }) ?? [];
  list.forEach((entry, i) => {
    const source = secretSource(s, `${s.key("webhook_secrets")}[${i}]`, entry);
    if (source !== undefined) webhookSecrets.push(source);
  });
  const action = s.string("action_secret", { secret: true });
  const actionSecret = action === undefined
    ? undefined
    : secretSource(s, s.key("action_secret"), action);
  return { webhookSecrets, actionSecret };
}

function secretSource(s: Section, key: string, text: string): SecretSource | undefined {
  if (text.startsWith("/")) {
    if (text.trim() !== text || text.endsWith("/")) {
      s.problem(`${key} must be a secret or the absolute path of a file, without spaces around.`);
      return undefined;
    }
    return { kind: "file", path: text };
  }
  // The secret goes into HTTP header comparisons; a space or control character is a paste error.
  if (text === "" || [...text].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) === 0x7f)) {
    s.problem(
      `${key} contains spaces or control characters, or is empty: it must be the secret alone, ` +
        "or the absolute path of a file holding it.",
    );
    return undefined;
  }
  return { kind: "value", value: new Secret(text) };
}
