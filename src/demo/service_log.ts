/**
 * Where the service's log goes during the demo: shown as it happens with `--verbose`, otherwise
 * kept quietly (the last lines only) so a failing step can show what the service said.
 *
 * @module
 */

import { configureLogging, type Logging } from "../logging.ts";

/** How many lines are kept for a failure report. */
const KEPT_LINES = 30;

/** The demo's log sink for the service. */
export class ServiceLog {
  readonly #logging: Logging;
  readonly #kept: string[];

  private constructor(logging: Logging, kept: string[]) {
    this.#logging = logging;
    this.#kept = kept;
  }

  /**
   * Sends the service's log (logfmt, info and up; debug with `debug`) to `live` when given,
   * and keeps the last lines either way.
   */
  static async open(
    options: { live?: (text: string) => void; debug?: boolean } = {},
  ): Promise<ServiceLog> {
    const kept: string[] = [];
    const decoder = new TextDecoder();
    let partial = "";
    const stream = new WritableStream<Uint8Array>({
      write(chunk) {
        const text = decoder.decode(chunk, { stream: true });
        options.live?.(text);
        const lines = (partial + text).split("\n");
        partial = lines.pop() ?? "";
        kept.push(...lines);
        if (kept.length > KEPT_LINES) kept.splice(0, kept.length - KEPT_LINES);
      },
    });
    const logging = await configureLogging(
      { output: "stderr", severity: "info", format: "text" },
      { stream, debug: options.debug },
    );
    return new ServiceLog(logging, kept);
  }

  /** The last lines the service logged, oldest first. */
  lastLines(): string[] {
    return [...this.#kept];
  }

  /** Flushes and detaches the sink. */
  close(): Promise<void> {
    return this.#logging.close();
  }
}
