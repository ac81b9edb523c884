/**
 * The one way the service reads a file it is pointed at (config, API key, identity, TLS keys
 * and certificates): only a regular file, and never more than a size cap. A path to `/dev/zero`,
 * a pipe or a huge file would otherwise hang the reader or fill memory before anything could
 * say what is wrong. Errors carry a short phrase the caller puts after the setting's name.
 *
 * @module
 */

/** What is wrong with a file, as a phrase: "… /path {reason}". */
export type FileProblem =
  | "not_found"
  | "permission_denied"
  /** Outside the process's Deno permissions (not the file system's). */
  | "not_permitted"
  | "directory"
  | "not_regular"
  | "too_large"
  | "unreadable";

/** A file that cannot be read as asked; `reason` completes a sentence naming the file. */
export class FileReadError extends Error {
  /** What went wrong, for callers that map it to their own error kinds. */
  readonly problem: FileProblem;
  /** The path as given. */
  readonly path: string;
  /** E.g. `is not a regular file (a device, pipe or socket)`. */
  readonly reason: string;

  /** Creates the error for `path`. */
  constructor(problem: FileProblem, path: string, reason: string, options?: ErrorOptions) {
    super(`${path} ${reason}`, options);
    this.name = "FileReadError";
    this.problem = problem;
    this.path = path;
    this.reason = reason;
  }
}

/** A file's content and what `stat` said about it (its mode, for permission warnings). */
export interface RegularFile {
  readonly bytes: Uint8Array;
  readonly info: Deno.FileInfo;
}

/**
 * Reads the regular file at `path` (symbolic links are followed), at most `maxBytes` of it.
 *
 * @throws {FileReadError} when it is missing, unreadable, a directory, not a regular file, or
 *   larger than `maxBytes`.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<RegularFile> {
  // Checked before opening: opening a pipe for reading blocks until a writer comes.
  checkInfo(path, await statOf(path), maxBytes);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw accessError(path, error);
  }
  try {
    // The file actually opened, in case the path was replaced since it was checked.
    const info = await file.stat();
    checkInfo(path, info, maxBytes);
    const bytes = await readAtMost(file, maxBytes + 1);
    if (bytes.length > maxBytes) throw tooLarge(path, maxBytes);
    return { bytes, info };
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    throw accessError(path, error);
  } finally {
    file.close();
  }
}

/** Like {@link readRegularFile}, as UTF-8 text; bytes that are not UTF-8 are an error. */
export async function readRegularTextFile(path: string, maxBytes: number): Promise<string> {
  const { bytes } = await readRegularFile(path, maxBytes);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new FileReadError("unreadable", path, "is not text (not UTF-8)", { cause: error });
  }
}

/**
 * Why the file at `path` could never be read as a regular file, if it exists; undefined when it
 * is one or does not exist (yet). For config checks that name the setting early.
 */
export async function nonRegularFileProblem(path: string): Promise<FileReadError | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    return undefined;
  }
  try {
    checkInfo(path, info, Number.POSITIVE_INFINITY);
    return undefined;
  } catch (error) {
    if (error instanceof FileReadError) return error;
    throw error;
  }
}

async function statOf(path: string): Promise<Deno.FileInfo> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    throw accessError(path, error);
  }
}

function checkInfo(path: string, info: Deno.FileInfo, maxBytes: number): void {
  if (info.isDirectory) throw new FileReadError("directory", path, "is a directory, not a file");
  if (!info.isFile) {
    throw new FileReadError(
      "not_regular",
      path,
      "is not a regular file (a device, pipe or socket)",
    );
  }
  if (info.size > maxBytes) throw tooLarge(path, maxBytes);
}

function tooLarge(path: string, maxBytes: number): FileReadError {
  return new FileReadError("too_large", path, `is larger than ${formatBytes(maxBytes)}`);
}

/** `4096 bytes`, `1 MiB`, `256 KiB`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

function accessError(path: string, error: unknown): FileReadError {
  if (error instanceof Deno.errors.NotFound) {
    return new FileReadError("not_found", path, "does not exist", { cause: error });
  }
  if (error instanceof Deno.errors.NotCapable) {
    return new FileReadError(
      "not_permitted",
      path,
      "is not among the files this process may read (Deno permissions)",
      { cause: error },
    );
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new FileReadError("permission_denied", path, "cannot be read (permission denied)", {
      cause: error,
    });
  }
  if (error instanceof Deno.errors.IsADirectory) {
    return new FileReadError("directory", path, "is a directory, not a file", { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new FileReadError("unreadable", path, `cannot be read (${detail})`, { cause: error });
}

async function readAtMost(file: Deno.FsFile, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < limit) {
    const chunk = new Uint8Array(Math.min(64 * 1024, limit - length));
    const n = await file.read(chunk);
    if (n === null) break;
    chunks.push(chunk.subarray(0, n));
    length += n;
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}
