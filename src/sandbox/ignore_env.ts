/**
 * Gives node-compat code in a sandboxed worker an empty `process.env`, so it behaves as under
 * `--ignore-env` however the process was started. grpc-js reads `GRPC_*` and proxy variables
 * when it loads and when it connects; a worker has no env permission, and without `--ignore-env`
 * on the command line (e.g. under `deno run -A`) those reads would throw `NotCapable`. Import it
 * FIRST in every worker entry: ES modules evaluate in import order.
 *
 * @module
 */

import process from "node:process";

Object.defineProperty(process, "env", { value: {}, configurable: true, writable: false });
