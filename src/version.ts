/**
 * The service's version, kept in step with `package.json` and `deno.json` by a test.
 *
 * @module
 */

/** The release version, without the leading `v`. */
export const VERSION = "0.1.0";

/** The git ref the build came from; release scripts replace it, a source checkout says `dev`. */
export const GIT_REF = "dev";
