/**
 * Defaults the CLI needs on the supervisor thread (no third-party imports here).
 *
 * @module
 */

/** Where the Go plugin and this service look for the config by default. */
export const DEFAULT_CONFIG_PATH = "/etc/teleport-pagerduty.toml";
