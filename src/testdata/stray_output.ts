/**
 * Logs to stdout as the service does, then provokes what the runtime and grpc-js print on their
 * own: a timer past the 32-bit limit (Node-compat `TimeoutOverflowWarning`), a custom process
 * warning, and a grpc-js error. A test checks that all of it went to the log and none to stderr.
 *
 * @module
 */

import process from "node:process";
import * as grpc from "@grpc/grpc-js";
import "../teleport/grpc_service.ts";
import { configureLogging } from "../logging.ts";

const logging = await configureLogging({ output: "stdout", severity: "info", format: "json" });
// As third-party code might: the delay is deliberately past what a timer holds.
clearTimeout(setTimeout(() => {}, 2 ** 32));
process.emitWarning("something deprecated", "DeprecationWarning");
grpc.experimental.log(grpc.logVerbosity.ERROR, "stream reset by peer");
// Warnings are emitted on the next tick.
await new Promise((resolve) => setTimeout(resolve, 0));
await logging.close();
