/**
 * Log sinks from `[log]`: stderr (default), stdout or a file (appended), as logfmt text or JSON
 * lines, at the configured severity. Every module logs through
 * `getLogger(["teleport-pagerduty", "<area>"])`; this file is the only one that decides where
 * the lines go. The runtime's own warnings (Node-compat `process.emitWarning`, such as
 * `TimeoutOverflowWarning`) are logged too instead of being printed past the log. Properties whose names look secret are redacted on the way out, as defence in
 * depth (the code should never log them in the first place).
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import process from "node:process";
import {
  configure,
  getJsonLinesFormatter,
  getLogfmtFormatter,
  getLogger,
  getStreamSink,
  type LogLevel,
  type LogRecord,
  reset,
  type Sink,
} from "@logtape/logtape";
import type { LogConfig } from "./config/types.ts";

/** The root logger category; every module logs under `[ROOT_CATEGORY, "<area>"]`. */
export const ROOT_CATEGORY = "teleport-pagerduty";

/** What replaces a redacted value. */
export const REDACTED = "[redacted]";

const SECRET_NAME =
  /api[_-]?key|token|secret|passw(or)?d|authorization|private[_-]?key|credential|cookie/i;

const LEVELS: Readonly<Record<LogConfig["severity"], LogLevel>> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
};

/** How {@link configureLogging} should deviate from the config. */
export interface LoggingOptions {
  /** `--debug`: log at debug level whatever `log.severity` says. */
  readonly debug?: boolean;
  /** Write here instead of the configured output (tests, and the embedded demo). */
  readonly stream?: WritableStream<Uint8Array>;
}

/** Configured logging; close it to flush and release the output. */
export interface Logging {
  /** Flushes pending lines and closes a log file. */
  close(): Promise<void>;
}

/**
 * Sends every `teleport-pagerduty` logger to the output `[log]` names, replacing any earlier
 * configuration.
 *
 * @throws {Error} naming `log.output` when the log file cannot be opened.
 */
export async function configureLogging(
  log: LogConfig,
  options: LoggingOptions = {},
): Promise<Logging> {
  const { stream, ownsStream } = await openOutput(log.output, options.stream);
  const formatter = log.format === "json" ? getJsonLinesFormatter() : getLogfmtFormatter();
  const sink = redactingSink(getStreamSink(stream, { formatter, closeStream: ownsStream }));
  const lowestLevel = options.debug ? "debug" : LEVELS[log.severity];
  await configure({
    reset: true,
    sinks: { out: sink },
    contextLocalStorage: new AsyncLocalStorage(),
    loggers: [
      { category: [ROOT_CATEGORY], sinks: ["out"], lowestLevel },
      // LogTape's own notices (e.g. "configured") are noise; its warnings are not.
      { category: ["logtape", "meta"], sinks: ["out"], lowestLevel: "warning" },
    ],
  });
  const releaseWarnings = captureProcessWarnings();
  return {
    close: () => {
      releaseWarnings();
      return reset();
    },
  };
}

const runtimeLog = getLogger([ROOT_CATEGORY, "runtime"]);

/**
 * Sends `process` warnings to the log instead of the runtime's default printer (stderr), until
 * the returned function restores the previous listeners.
 */
function captureProcessWarnings(): () => void {
  const previous = process.listeners("warning");
  process.removeAllListeners("warning");
  const listener = (warning: Error) => {
    runtimeLog.warn("Runtime warning {name}: {warning}", {
      name: warning.name,
      warning: warning.message,
    });
  };
  process.on("warning", listener);
  return () => {
    process.off("warning", listener);
    for (const restored of previous) process.on("warning", restored);
  };
}

async function openOutput(
  output: string,
  override: WritableStream<Uint8Array> | undefined,
): Promise<{ stream: WritableStream<Uint8Array>; ownsStream: boolean }> {
  if (override !== undefined) return { stream: override, ownsStream: false };
  if (output === "stderr") return { stream: Deno.stderr.writable, ownsStream: false };
  if (output === "stdout") return { stream: Deno.stdout.writable, ownsStream: false };
  try {
    const file = await Deno.open(output, { write: true, append: true, create: true, mode: 0o640 });
    return { stream: file.writable, ownsStream: true };
  } catch (error) {
    throw new Error(
      `log.output ${output} cannot be opened for appending (${
        error instanceof Error ? error.message : String(error)
      }): create its directory and make it writable by the plugin's user, or log to "stderr".`,
      { cause: error },
    );
  }
}

/** Wraps a sink so properties with secret-looking names never reach it; disposing disposes it. */
export function redactingSink(sink: Sink & AsyncDisposable): Sink & AsyncDisposable {
  const wrapped = (record: LogRecord) => sink(redactRecord(record));
  return Object.assign(wrapped, { [Symbol.asyncDispose]: () => sink[Symbol.asyncDispose]() });
}

/**
 * The record with secret-looking properties (at any depth) replaced by {@link REDACTED}, and
 * their values also blanked where the message interpolated them.
 */
export function redactRecord(record: LogRecord): LogRecord {
  const hidden = new Set<unknown>();
  const properties = redactValue(record.properties, hidden, 0) as Record<string, unknown>;
  if (hidden.size === 0) return record;
  const message = record.message.map((part, i) =>
    i % 2 === 1 && hidden.has(part) ? REDACTED : part
  );
  return { ...record, properties, message };
}

const MAX_DEPTH = 5;

function redactValue(value: unknown, hidden: Set<unknown>, depth: number): unknown {
  if (depth > MAX_DEPTH || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, hidden, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
    // Errors, Dates, class instances: formatters render them their own way.
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (SECRET_NAME.test(key) && v !== undefined && v !== null && v !== "") {
      hidden.add(v);
      out[key] = REDACTED;
    } else {
      out[key] = redactValue(v, hidden, depth + 1);
    }
  }
  return out;
}
