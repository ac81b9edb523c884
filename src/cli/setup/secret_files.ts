/**
 * The secret files `setup-pagerduty` fills: PagerDuty shows a webhook subscription's secret once,
 * so it goes straight into a file only the service's user may read (mode 0600), and a file that
 * already holds a secret is never overwritten (it may be the one a running service uses).
 *
 * @module
 */

/** What a secret file holds. */
export type FileState = "missing" | "empty" | "filled";

/** The file operations setup needs; the real file system, or a stand-in in tests. */
export interface SecretFiles {
  /** Whether the file exists and holds something other than white space. */
  state(path: string): Promise<FileState>;
  /** The file's content without surrounding white space; undefined when missing or empty. */
  read(path: string): Promise<string | undefined>;
  /**
   * Proves the file can be written before PagerDuty is asked for anything: creates it empty with
   * mode 0600 if missing, else makes it 0600. Leaves any content as it is.
   */
  prepare(path: string): Promise<void>;
  /** Replaces the content with `secret` and a newline, mode 0600, flushed to disk. */
  write(path: string, secret: string): Promise<void>;
}

/** Largest file read: secrets are short, so more means a wrong path. */
const MAX_BYTES = 4096;

/** The real file system. */
export const DISK_SECRET_FILES: SecretFiles = {
  async state(path) {
    return (await this.read(path)) === undefined
      ? (await exists(path) ? "empty" : "missing")
      : "filled";
  },

  async read(path) {
    let bytes: Uint8Array;
    try {
      using file = await Deno.open(path, { read: true });
      const buffer = new Uint8Array(MAX_BYTES + 1);
      let length = 0;
      while (length < buffer.length) {
        const n = await file.read(buffer.subarray(length));
        if (n === null) break;
        length += n;
      }
      bytes = buffer.subarray(0, length);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw new SecretFileError(path, "cannot be read", error);
    }
    if (bytes.length > MAX_BYTES) {
      throw new SecretFileError(path, `is larger than ${MAX_BYTES} bytes, so it is not a secret`);
    }
    const text = new TextDecoder().decode(bytes).trim();
    return text === "" ? undefined : text;
  },

  async prepare(path) {
    try {
      using _file = await Deno.open(path, { write: true, create: true, mode: 0o600 });
      await Deno.chmod(path, 0o600);
    } catch (error) {
      throw new SecretFileError(path, "cannot be written", error);
    }
  },

  async write(path, secret) {
    try {
      using file = await Deno.open(path, {
        write: true,
        create: true,
        truncate: true,
        mode: 0o600,
      });
      await Deno.chmod(path, 0o600);
      let bytes = new TextEncoder().encode(`${secret}\n`);
      while (bytes.length > 0) bytes = bytes.subarray(await file.write(bytes));
      await file.sync();
    } catch (error) {
      throw new SecretFileError(path, "cannot be written", error);
    }
  },
};

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new SecretFileError(path, "cannot be inspected", error);
  }
}

/** A secret file that cannot be used; the message names the file and the fix, never content. */
export class SecretFileError extends Error {
  /** The file. */
  readonly path: string;

  /** Creates the error for `path`, which `what` (e.g. "cannot be written"). */
  constructor(path: string, what: string, cause?: unknown) {
    const reason = cause instanceof Deno.errors.PermissionDenied ||
        cause instanceof Deno.errors.NotCapable
      ? " (permission denied)"
      : cause instanceof Deno.errors.NotFound
      ? " (its directory does not exist)"
      : cause instanceof Error
      ? ` (${cause.message})`
      : "";
    super(
      `the secret file ${path} ${what}${reason}: run setup-pagerduty as a user that may write ` +
        "it, in an existing directory, or create it empty with the owner the service runs as.",
      { cause },
    );
    this.name = "SecretFileError";
    this.path = path;
  }
}
