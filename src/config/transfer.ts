/**
 * The {@link Config} as a structured-clone-safe value, to hand it from the supervisor thread to
 * the sandboxed service worker. A {@link Secret} keeps its value in a private field, which
 * `postMessage` would silently drop, so the API key travels as a plain string inside this one
 * message and is wrapped again on arrival. Never log a {@link ConfigMessage}.
 *
 * @module
 */

import { type ReviewsConfigMessage, reviewsFromMessage, reviewsToMessage } from "./reviews.ts";
import { type Config, type PagerDutyConfig, Secret } from "./types.ts";

/** A {@link Config} with the secrets unwrapped, for `postMessage` only. */
export interface ConfigMessage extends Omit<Config, "pagerduty"> {
  readonly pagerduty: Omit<PagerDutyConfig, "apiKey" | "reviews"> & {
    readonly apiKey: string;
    readonly reviews?: ReviewsConfigMessage;
  };
}

/** Unwraps the secrets so the config survives `postMessage`. */
export function configToMessage(config: Config): ConfigMessage {
  return {
    ...config,
    pagerduty: {
      ...config.pagerduty,
      apiKey: config.pagerduty.apiKey.reveal(),
      reviews: config.pagerduty.reviews && reviewsToMessage(config.pagerduty.reviews),
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
      reviews: message.pagerduty.reviews && reviewsFromMessage(message.pagerduty.reviews),
    },
  };
}
