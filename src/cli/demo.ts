/**
 * `demo`: runs the embedded demo (`src/demo/`). The demo loads grpc-js and the fakes, so it is
 * imported only when this command runs: the main thread of every other command stays free of
 * third-party code.
 *
 * @module
 */

import type { DemoOutcome } from "../demo/demo.ts";
import type { Command } from "./command.ts";
import { EXIT } from "./exit_codes.ts";

const COLOR_CHOICES = ["auto", "always", "never"];

const EXIT_CODES: Readonly<Record<DemoOutcome, number>> = {
  completed: EXIT.ok,
  failed: EXIT.failure,
  interrupted: EXIT.sigint,
};

/** The process exit code for how the demo ended. */
export function demoExitCode(outcome: DemoOutcome): number {
  return EXIT_CODES[outcome];
}

/** The `demo` command. */
export const demoCommand: Command = {
  name: "demo",
  summary: "Show the service at work against built-in fakes (no cluster or account needed)",
  description:
    "Starts a fake Teleport Auth Service and a fake PagerDuty on 127.0.0.1, runs the real\n" +
    "service against them in this process, and plays a short scenario: a request notified to\n" +
    "a service, an on-call requester auto-approved, reviews noted, an approval, a denial, an\n" +
    "expiry, an approval and a refusal from PagerDuty notes (signed webhooks), access that\n" +
    "ends with an on-call shift, and access that ends when its incident is resolved. Prints\n" +
    "what happened on each side, then a summary; exits 0 when every step\n" +
    "happened. Needs to listen and connect on 127.0.0.1 and to write a temporary identity\n" +
    "file (the permissions of `deno task start` suffice).",
  options: {
    verbose: {
      type: "boolean",
      short: "v",
      help: "also show the service's own log (on stderr) as it happens",
    },
    debug: {
      type: "boolean",
      short: "d",
      help: "with --verbose, log at debug level; print stack traces of fatal errors",
    },
    color: {
      type: "string",
      valueName: "WHEN",
      default: "auto",
      help: "colour the timeline: auto (when stdout is a terminal and NO_COLOR is unset), " +
        "always or never",
    },
  },
  run: async (values, _positionals, io) => {
    const when = String(values.color);
    if (!COLOR_CHOICES.includes(when)) {
      io.err(
        `teleport-pagerduty demo: --color must be one of ${COLOR_CHOICES.join(", ")}, ` +
          `not "${when}".\n`,
      );
      return EXIT.usage;
    }
    const color = when === "always" ||
      (when === "auto" && Deno.stdout.isTerminal() && !Deno.noColor);
    // Listen before loading the demo's code (a few tenths of a second): a Ctrl-C during the
    // load then stops the demo like any other, instead of being lost.
    const interrupt = new AbortController();
    const onSignal = () => interrupt.abort();
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    for (const signal of signals) Deno.addSignalListener(signal, onSignal);
    try {
      const { runDemo } = await import("../demo/demo.ts");
      const outcome = await runDemo({
        output: io.out,
        errorOutput: io.err,
        color,
        serviceLog: values.verbose === true ? io.err : undefined,
        debug: values.debug === true,
        signal: interrupt.signal,
      });
      return demoExitCode(outcome);
    } finally {
      for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    }
  },
};
