/**
 * Keeps the plugin's Teleport credentials current while the service runs. It loads them once
 * (failing fast), then on every tick re-reads the files when refresh is on (tbot renews its
 * identity every 20 minutes) and tells subscribers when the certificate changed, so the client
 * can build a new channel. A broken or half-written file never replaces good credentials.
 *
 * The timer lives until {@linkcode IdentitySource.close} or the service's abort signal, never
 * a start-up deadline: the Go plugin tied it to its 10 s init context, so its reloading
 * silently stopped after start-up.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import type { CredentialFiles } from "./types.ts";
import { formatDuration } from "../util/duration.ts";
import { IdentityError, loadCredentials, type TeleportCredentials } from "./identity.ts";
import { boundedDelay } from "../timers.ts";

const log = getLogger(["teleport-pagerduty", "identity"]);

/** The Go plugin's `refresh_identity_interval` default. */
export const DEFAULT_REFRESH_INTERVAL_MS = 60_000;

/** How an {@linkcode IdentitySource} behaves. */
export interface IdentitySourceOptions {
  /** Re-read the files on every tick (`refresh_identity`); when false ticks only watch expiry. */
  readonly refresh: boolean;
  /** Time between ticks; defaults to {@linkcode DEFAULT_REFRESH_INTERVAL_MS}. */
  readonly intervalMs?: number;
  /**
   * Warn when the current certificate expires within this long and no newer one appeared.
   * Defaults to a third of the certificate's lifetime: 20 minutes of a tbot hour (two missed
   * renewals), 4 hours of `tctl auth sign`'s 12.
   */
  readonly expiryWarningMs?: number;
  /** The service's lifetime; aborting it stops the timer like {@linkcode IdentitySource.close}. */
  readonly signal?: AbortSignal;
}

/** Called with the new and the replaced credentials after the certificate changed. */
export type CredentialsListener = (
  next: TeleportCredentials,
  previous: TeleportCredentials,
) => void;

/** What one re-read found. */
export type RefreshOutcome = "changed" | "unchanged" | "failed";

/** Health of the credentials, for status reporting. */
export interface IdentityStatus {
  /** When the current credentials were loaded. */
  readonly loadedAt: Date;
  /** How many re-reads ran since start. */
  readonly checks: number;
  /** When the last re-read finished; undefined before the first. */
  readonly lastCheckAt: Date | undefined;
  /** What the last re-read found; undefined before the first. */
  readonly lastOutcome: RefreshOutcome | undefined;
  /** Why the last re-read failed; undefined once one succeeds again. */
  readonly lastError: IdentityError | undefined;
  /** Failed re-reads in a row. */
  readonly consecutiveFailures: number;
}

/**
 * Current Teleport credentials plus change notifications. Create with
 * {@linkcode IdentitySource.open}; call {@linkcode IdentitySource.close} (or abort the signal)
 * when the service stops.
 */
export class IdentitySource {
  /** The files the credentials are read from. */
  readonly files: CredentialFiles;
  readonly #refresh: boolean;
  readonly #intervalMs: number;
  readonly #expiryWarningMs: number | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #listeners = new Set<CredentialsListener>();
  #current: TeleportCredentials;
  #loadedAt: Date;
  #checks = 0;
  #lastCheckAt: Date | undefined;
  #lastOutcome: RefreshOutcome | undefined;
  #lastError: IdentityError | undefined;
  #failures = 0;
  #warnedExpiring: string | undefined;
  #warnedExpired: string | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reloading: Promise<RefreshOutcome> | undefined;
  #ticking: Promise<void> | undefined;
  #closed = false;
  readonly #onAbort = () => void this.close();

  private constructor(
    files: CredentialFiles,
    credentials: TeleportCredentials,
    options: IdentitySourceOptions,
  ) {
    this.files = files;
    this.#current = credentials;
    this.#loadedAt = new Date();
    this.#refresh = options.refresh;
    this.#intervalMs = options.intervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
    this.#expiryWarningMs = options.expiryWarningMs;
    this.#signal = options.signal;
  }

  /**
   * Loads the credentials (throwing {@linkcode IdentityError} if they are unusable, so the
   * service fails at start) and starts the tick timer.
   */
  static async open(
    files: CredentialFiles,
    options: IdentitySourceOptions,
  ): Promise<IdentitySource> {
    if (options.intervalMs !== undefined && !(options.intervalMs > 0)) {
      throw new RangeError(
        `The identity refresh interval must be positive, got ${options.intervalMs} ms: fix ` +
          "teleport.refresh_identity_interval.",
      );
    }
    const credentials = await loadCredentials(files);
    const source = new IdentitySource(files, credentials, options);
    for (const warning of credentials.warnings) log.warn(warning);
    log.info("Loaded Teleport credentials for {user} valid until {notAfter}.", {
      ...describe(credentials),
      refresh: options.refresh,
    });
    source.#checkExpiry();
    if (options.signal?.aborted) {
      source.#closed = true;
      return source;
    }
    options.signal?.addEventListener("abort", source.#onAbort, { once: true });
    source.#schedule();
    return source;
  }

  /** The newest valid credentials. */
  get current(): TeleportCredentials {
    return this.#current;
  }

  /** Health of the credentials and of the last re-read. */
  get status(): IdentityStatus {
    return {
      loadedAt: this.#loadedAt,
      checks: this.#checks,
      lastCheckAt: this.#lastCheckAt,
      lastOutcome: this.#lastOutcome,
      lastError: this.#lastError,
      consecutiveFailures: this.#failures,
    };
  }

  /**
   * Calls `listener` each time a re-read finds a different certificate (by SHA-256
   * fingerprint); a rewrite with the same certificate is not a change. Listeners run
   * synchronously and should only start work (e.g. a channel rebuild). Returns an unsubscribe
   * function.
   */
  subscribe(listener: CredentialsListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Re-reads the files now (the timer does this on every tick when refresh is on; a SIGHUP
   * handler may too). Never rejects: a failure keeps the current credentials, is logged, and
   * shows in {@linkcode status}. Concurrent calls share one read.
   */
  refresh(): Promise<RefreshOutcome> {
    this.#reloading ??= this.#reload().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  /** Resolves once no tick or re-read is running. */
  async whenIdle(): Promise<void> {
    while (this.#ticking !== undefined || this.#reloading !== undefined) {
      await (this.#ticking ?? this.#reloading);
    }
  }

  /** Stops the timer and waits for a running re-read; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    await this.whenIdle();
  }

  /** Same as {@linkcode close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
      });
    }, boundedDelay(this.#intervalMs));
  }

  async #tick(): Promise<void> {
    if (this.#refresh) await this.refresh();
    this.#checkExpiry();
    this.#schedule();
  }

  async #reload(): Promise<RefreshOutcome> {
    let next: TeleportCredentials;
    try {
      next = await loadCredentials(this.files);
    } catch (error) {
      return this.#finish("failed", error);
    }
    if (this.#failures > 0) {
      log.info("Teleport credentials are readable again after {failures} failed reads.", {
        failures: this.#failures,
      });
    }
    if (next.fingerprint === this.#current.fingerprint) return this.#finish("unchanged");

    const previous = this.#current;
    this.#current = next;
    this.#loadedAt = new Date();
    for (const warning of next.warnings) log.warn(warning);
    log.info("Teleport certificate renewed for {user}, now valid until {notAfter}.", {
      ...describe(next),
      previousFingerprint: previous.fingerprint,
    });
    for (const listener of [...this.#listeners]) {
      try {
        listener(next, previous);
      } catch (error) {
        log.error("A credentials subscriber failed: {error}", { error });
      }
    }
    return this.#finish("changed");
  }

  #finish(outcome: RefreshOutcome, error?: unknown): RefreshOutcome {
    this.#checks++;
    this.#lastCheckAt = new Date();
    this.#lastOutcome = outcome;
    if (outcome !== "failed") {
      this.#failures = 0;
      this.#lastError = undefined;
      return outcome;
    }
    this.#failures++;
    this.#lastError = error instanceof IdentityError ? error : new IdentityError(
      "unreadable",
      `Reading the Teleport credentials failed unexpectedly (${String(error)}): check the ` +
        "files named by teleport.identity or teleport.client_key/client_crt/root_cas.",
      { configKey: "teleport.identity" },
      { cause: error },
    );
    log.warn(
      "Keeping the current Teleport credentials (valid until {notAfter}) because re-reading " +
        "them failed; retrying next tick: {reason}",
      {
        notAfter: this.#current.notAfter.toISOString(),
        reason: this.#lastError.message,
        errorReason: this.#lastError.reason,
        consecutiveFailures: this.#failures,
      },
    );
    return outcome;
  }

  #checkExpiry(): void {
    const current = this.#current;
    const now = Date.now();
    const remaining = current.notAfter.getTime() - now;
    const where = this.files.kind === "identity_file" ? this.files.path : this.files.certPath;
    if (remaining <= 0) {
      if (this.#warnedExpired === current.fingerprint) return;
      this.#warnedExpired = current.fingerprint;
      log.error(
        "The Teleport certificate for {user} expired at {notAfter} and no renewed one has " +
          "appeared in {path}: the service cannot reach Teleport until it does; {remedy}",
        { ...describe(current), path: where, remedy: this.#remedy(current.username) },
      );
      return;
    }
    const lifetime = current.notAfter.getTime() - current.notBefore.getTime();
    const window = this.#expiryWarningMs ?? lifetime / 3;
    if (remaining > window || this.#warnedExpiring === current.fingerprint) return;
    this.#warnedExpiring = current.fingerprint;
    log.warn(
      "The Teleport certificate for {user} expires at {notAfter} (in {remaining}) and no " +
        "renewed one has appeared in {path}; {remedy}",
      {
        ...describe(current),
        remaining: formatDuration(remaining),
        path: where,
        remedy: this.#remedy(current.username),
      },
    );
  }

  #remedy(user: string): string {
    const sign = this.files.kind === "identity_file"
      ? `tctl auth sign --user=${user} --format=file --out=${this.files.path}`
      : `tctl auth sign --user=${user} --format=tls --out=<prefix>`;
    return this.#refresh
      ? `check that tbot is running, or re-run \`${sign}\` to write a new one.`
      : `renew it (\`${sign}\`) and restart the service, or set ` +
        "teleport.refresh_identity = true so renewals are picked up.";
  }
}

/** Log properties for a set of credentials; never the key. */
function describe(credentials: TeleportCredentials): Record<string, unknown> {
  return {
    user: credentials.username,
    roles: credentials.roles,
    cluster: credentials.clusterName,
    notAfter: credentials.notAfter.toISOString(),
    fingerprint: credentials.fingerprint,
  };
}
