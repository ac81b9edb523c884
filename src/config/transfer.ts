/**
 * The {@link Config} as a structured-clone-safe value, to hand it from the supervisor thread to
 * the sandboxed service worker. A {@link Secret} keeps its value in a private field, which
 * `postMessage` would silently drop, so the API key travels as a plain string inside this one
 * message and is wrapped again on arrival. Never log a {@link ConfigMessage}.
 *
 * @module
 */

import { type Config, type PagerDutyConfig, type ReviewsConfig, Secret } from "./types.ts";

/** {@link ReviewsConfig} with its secrets unwrapped. */
type ReviewsMessage = Omit<ReviewsConfig, "webhookSecrets" | "actionSecret"> & {
  readonly webhookSecrets: readonly string[];
  readonly actionSecret?: string;
};

/** A {@link Config} with the API key and review secrets unwrapped, for `postMessage` only. */
export interface ConfigMessage extends Omit<Config, "pagerduty"> {
  readonly pagerduty: Omit<PagerDutyConfig, "apiKey" | "reviews"> & {
    readonly apiKey: string;
    readonly reviews?: ReviewsMessage;
  };
}

/** Unwraps the secrets so the config survives `postMessage`. */
export function configToMessage(config: Config): ConfigMessage {
  return {
    ...config,
    pagerduty: {
      ...config.pagerduty,
      apiKey: config.pagerduty.apiKey.reveal(),
      reviews: reviewsToMessage(config.pagerduty.reviews),
    },
  };
}

/** Rebuilds the {@link Config} on the receiving side, wrapping the secrets again. */
export function configFromMessage(message: ConfigMessage): Config {
  return {
    ...message,
    pagerduty: {
      ...message.pagerduty,
      apiKey: new Secret(message.pagerduty.apiKey),
      reviews: reviewsFromMessage(message.pagerduty.reviews),
    },
  };
}

function reviewsToMessage(reviews: ReviewsConfig | undefined): ReviewsMessage | undefined {
  if (reviews === undefined) return undefined;
  return {
    ...reviews,
    webhookSecrets: reviews.webhookSecrets.map((s) => s.reveal()),
    actionSecret: reviews.actionSecret?.reveal(),
  };
}

function reviewsFromMessage(message: ReviewsMessage | undefined): ReviewsConfig | undefined {
  if (message === undefined) return undefined;
  return {
    ...message,
    webhookSecrets: message.webhookSecrets.map((s) => new Secret(s)),
    actionSecret: message.actionSecret === undefined ? undefined : new Secret(message.actionSecret),
  };
}
