/**
 * What the supervisor hands the service worker. Its own module so the supervisor can name the
 * type without loading the worker's (third-party) imports.
 *
 * @module
 */

import type { ConfigWarning } from "../config/errors.ts";
import type { ConfigMessage } from "../config/transfer.ts";

/** The service worker's input. Holds the API key in clear: never log it. */
export interface ServiceInput {
  readonly config: ConfigMessage;
  /** The config file's path, for the start-up log line. */
  readonly configPath: string;
  /** Config warnings, logged once logging is set up. */
  readonly warnings: readonly ConfigWarning[];
  /** `--debug`: log at debug level. */
  readonly debug: boolean;
}
