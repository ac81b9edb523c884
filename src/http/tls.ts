/**
 * Reads the listener's HTTPS certificate and key once at start (regular files of at most
 * {@link MAX_PEM_BYTES}), with errors that name the config key to fix and never quote the key
 * itself.
 *
 * @module
 */

import { FileReadError, readRegularTextFile } from "../files.ts";
import { HttpServerError } from "./errors.ts";

/** Paths of the PEM certificate chain and private key for HTTPS. */
export interface HttpsFiles {
  /** `http.https_cert_file`: PEM certificate chain, leaf first. */
  readonly certFile: string;
  /** `http.https_key_file`: unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1). */
  readonly keyFile: string;
}

/** A PEM certificate chain and private key, as `Deno.serve` takes them. */
export interface CertifiedKeyPem {
  readonly cert: string;
  readonly key: string;
}

const CERT_BEGIN = "-----BEGIN CERTIFICATE-----";
const KEY_BEGIN = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/;

/** The largest certificate chain or key file read; real ones are a few KB. */
export const MAX_PEM_BYTES = 1024 * 1024;

async function readPem(key: "http.https_cert_file" | "http.https_key_file", path: string) {
  try {
    return await readRegularTextFile(path, MAX_PEM_BYTES);
  } catch (error) {
    const reason = error instanceof FileReadError
      ? error.reason
      : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
    throw new HttpServerError(
      key,
      `${key} "${path}" ${reason}: point it at the PEM file, readable by the service.`,
      { cause: error },
    );
  }
}

/** Reads and sanity-checks both files; `Deno.serve` does the full parse. */
export async function readHttpsFiles(files: HttpsFiles): Promise<CertifiedKeyPem> {
  const cert = await readPem("http.https_cert_file", files.certFile);
  if (!cert.includes(CERT_BEGIN)) {
    throw new HttpServerError(
      "http.https_cert_file",
      `http.https_cert_file "${files.certFile}" holds no PEM certificate (${CERT_BEGIN}); ` +
        "point it at the server's PEM certificate chain.",
    );
  }
  const key = await readPem("http.https_key_file", files.keyFile);
  if (key.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
    throw new HttpServerError(
      "http.https_key_file",
      `http.https_key_file "${files.keyFile}" holds an encrypted private key; ` +
        "provide it unencrypted (e.g. openssl pkey -in key.pem -out plain.pem) with tight file permissions.",
    );
  }
  if (!KEY_BEGIN.test(key)) {
    throw new HttpServerError(
      "http.https_key_file",
      `http.https_key_file "${files.keyFile}" holds no PEM private key; ` +
        "point it at the server's unencrypted PEM private key.",
    );
  }
  return { cert, key };
}
