/**
 * Scripted faults for the fake PagerDuty: failing answers (5xx, 429 with or without the
 * `ratelimit-*` headers), dropped connections and added latency, for every request or only for
 * one operation, for the next N requests.
 *
 * @module
 */

/** What to do instead of (or around) answering normally. */
export type FaultAction =
  | {
    readonly kind: "fail";
    readonly status: number;
    /** For 429: send `ratelimit-*` headers and the documented body (true) or a bare 429. */
    readonly rateLimitHeaders: boolean;
  }
  | {
    readonly kind: "drop";
    /**
     * `before`: close the connection without answering; nothing happens in the account.
     * `after`: carry the request out, then break the response (the client never learns the result).
     */
    readonly when: "before" | "after";
  };

/** Options that limit a fault to one operation. */
export interface FaultScope {
  /** PagerDuty operationId, e.g. `createIncident`; every operation when absent. */
  readonly operation?: string;
}

interface Rule {
  remaining: number;
  readonly operation: string | undefined;
  readonly action: FaultAction;
}

interface LatencyRule {
  remaining: number;
  readonly operation: string | undefined;
  readonly ms: number;
}

/** The queue of scripted faults; the first matching rule wins. */
export class FaultPlan {
  readonly #rules: Rule[] = [];
  readonly #delays: LatencyRule[] = [];
  #latency = new Map<string | undefined, number>();

  /** Fails the next `count` matching requests with `status` (429 gets rate-limit headers unless told). */
  failNext(
    count: number,
    options: FaultScope & { status?: number; rateLimitHeaders?: boolean } = {},
  ): void {
    const status = options.status ?? 500;
    this.#rules.push({
      remaining: count,
      operation: options.operation,
      action: { kind: "fail", status, rateLimitHeaders: options.rateLimitHeaders ?? true },
    });
  }

  /** Drops the connection of the next `count` matching requests. */
  dropNext(count: number, options: FaultScope & { when?: "before" | "after" } = {}): void {
    this.#rules.push({
      remaining: count,
      operation: options.operation,
      action: { kind: "drop", when: options.when ?? "before" },
    });
  }

  /** Delays the next `count` matching requests by `ms`, on top of any constant latency. */
  delayNext(count: number, ms: number, options: FaultScope = {}): void {
    this.#delays.push({ remaining: count, operation: options.operation, ms });
  }

  /** Adds a constant latency to every request (or one operation's); 0 removes it. */
  setLatency(ms: number, options: FaultScope = {}): void {
    if (ms > 0) this.#latency.set(options.operation, ms);
    else this.#latency.delete(options.operation);
  }

  /** Removes every scripted fault and latency. */
  clear(): void {
    this.#rules.length = 0;
    this.#delays.length = 0;
    this.#latency = new Map();
  }

  /** Faults still waiting to fire (rules with requests left). */
  get pending(): number {
    return this.#rules.reduce((n, r) => n + r.remaining, 0) +
      this.#delays.reduce((n, r) => n + r.remaining, 0);
  }

  /** The latency to add to one request of `operation`, consuming one-shot delays. */
  takeLatency(operation: string | undefined): number {
    let ms = (this.#latency.get(undefined) ?? 0) +
      (operation === undefined ? 0 : this.#latency.get(operation) ?? 0);
    const index = this.#delays.findIndex((r) =>
      r.operation === undefined || r.operation === operation
    );
    if (index >= 0) {
      const rule = this.#delays[index];
      ms += rule.ms;
      if (--rule.remaining <= 0) this.#delays.splice(index, 1);
    }
    return ms;
  }

  /** The fault for one request of `operation`, if one is scripted; consumes it. */
  takeFault(operation: string | undefined): FaultAction | undefined {
    const index = this.#rules.findIndex((r) =>
      r.operation === undefined || r.operation === operation
    );
    if (index < 0) return undefined;
    const rule = this.#rules[index];
    if (--rule.remaining <= 0) this.#rules.splice(index, 1);
    return rule.action;
  }
}
