/**
 * The process exit codes, documented in `--help` and the README.
 *
 * @module
 */

/** Exit codes of every command. */
export const EXIT = {
  /** Success, including a graceful stop after SIGTERM or SIGINT. */
  ok: 0,
  /** The service or a command failed at run time (e.g. credentials rejected). */
  failure: 1,
  /** Bad command line or invalid config. */
  usage: 2,
  /** `check` found a problem. */
  checkFailed: 3,
  /** `setup-pagerduty` did what the API key allows; the printed steps are left to do by hand. */
  setupManual: 4,
  /** Ended at once by a second SIGINT, or no graceful stop within the grace period. */
  sigint: 130,
  /** Ended at once by a second SIGTERM, or no graceful stop within the grace period. */
  sigterm: 143,
} as const;

/** The exit codes as help text. */
export const EXIT_CODES_HELP = `Exit codes:
  0    success, including a graceful stop after SIGTERM or SIGINT
  1    run-time failure (e.g. Teleport or PagerDuty rejected the credentials)
  2    usage error or invalid config
  3    check found a problem
  4    setup-pagerduty left steps to do by hand in PagerDuty (printed)
  130  ended at once by a second SIGINT, or not stopped within 20 s of the first
  143  ended at once by a second SIGTERM, or not stopped within 20 s of the first
`;
