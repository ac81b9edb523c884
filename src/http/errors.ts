/**
 * The error the HTTP listener throws when it cannot start.
 *
 * @module
 */

/** The configuration keys an {@linkcode HttpServerError} can point at. */
export type HttpConfigKey = "http.listen_addr" | "http.https_cert_file" | "http.https_key_file";

/**
 * The HTTP listener could not start because of a configured value; the message is one sentence
 * naming the key and what to do, and never contains key material.
 */
export class HttpServerError extends Error {
  /** The configuration key to fix. */
  readonly key: HttpConfigKey;

  /** Creates the error for `key` with a complete `message`. */
  constructor(key: HttpConfigKey, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HttpServerError";
    this.key = key;
  }
}
