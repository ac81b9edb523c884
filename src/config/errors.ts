/**
 * What config loading reports: one {@link ConfigError} carrying every problem found (so the
 * operator fixes them all in one go), and {@link ConfigWarning}s for things that work but
 * deserve attention.
 *
 * @module
 */

/** Something in the config that works but deserves attention (a typo, a deprecated key). */
export interface ConfigWarning {
  /** The dotted key the warning is about, e.g. `teleport.auth_server`; the file for file-level ones. */
  readonly key: string;
  /** One sentence saying what is wrong and what to do. */
  readonly message: string;
}

/** The config cannot be used; `problems` lists every reason, each one sentence naming the key. */
export class ConfigError extends Error {
  /** The config file the problems are in. */
  readonly path: string;
  /** Every problem, each naming the key, the bad value (unless secret) and what is allowed. */
  readonly problems: readonly string[];

  /** Creates the error for the problems found in the config file at `path`. */
  constructor(path: string, problems: readonly string[]) {
    super(
      problems.length === 1
        ? `config file ${path}: ${problems[0]}`
        : `config file ${path} has ${problems.length} problems:\n${
          problems.map((p) => `  - ${p}`).join("\n")
        }`,
    );
    this.name = "ConfigError";
    this.path = path;
    this.problems = problems;
  }
}
