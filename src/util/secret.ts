/**
 * A secret value (API key, webhook or action secret) that never prints itself: string
 * interpolation, JSON and `Deno.inspect` all show `[redacted]`. Shared by the config and the
 * PagerDuty wire, so it imports nothing.
 *
 * @module
 */

/** A secret that shows itself only through {@linkcode Secret.reveal}. */
export class Secret {
  readonly #value: string;

  /** Wraps a secret value. */
  constructor(value: string) {
    this.#value = value;
  }

  /** The secret itself, for the one place that must send or store it. */
  reveal(): string {
    return this.#value;
  }

  /** Always `[redacted]`, so string interpolation cannot leak the value. */
  toString(): string {
    return "[redacted]";
  }

  /** Always `"[redacted]"`, so JSON logging cannot leak the value. */
  toJSON(): string {
    return "[redacted]";
  }

  /** Always `[redacted]` in `console.log` and `Deno.inspect`. */
  [Symbol.for("Deno.customInspect")](): string {
    return "[redacted]";
  }
}
