/**
 * The credentials rule, written once: the `[teleport]` section names an identity file
 * (`identity`), or all three files of `tctl auth sign --format=tls` (`client_key`, `client_crt`,
 * `root_cas`), never both. `parse.ts` refuses both and part of the triple; naming none still
 * parses (the Go plugin's own template has its credentials commented out and loaded in Go too), so
 * `start` and `check` ask {@link credentialsProblem} to fail early with a clear message, and the
 * service takes the files from {@link credentialFilesFromConfig}. No third-party imports: the
 * supervisor thread uses it.
 *
 * @module
 */

import type { CredentialFiles } from "../teleport/types.ts";
import type { TeleportConfig } from "./types.ts";

/** The keys of `[teleport]` the rule reads; empty text counts as unset. */
export type CredentialSettings = Partial<
  Pick<TeleportConfig, "identity" | "clientKey" | "clientCrt" | "rootCas">
>;

/** What is wrong with the credential keys. */
export type CredentialsProblemKind =
  /** Neither the identity file nor the triple. */
  | "none"
  /** The identity file and (part of) the triple. */
  | "both"
  /** Part of the triple only. */
  | "partial";

/** A broken credentials setting: one sentence, and the key to set or fix first. */
export interface CredentialsProblem {
  readonly kind: CredentialsProblemKind;
  /** Starts lower-case: it follows `config file <path>: ` or starts with a key. */
  readonly message: string;
  /** The dotted key, e.g. `teleport.root_cas`. */
  readonly configKey: string;
}

/** The `[teleport]` section names no usable credentials. */
export class CredentialsError extends Error {
  /** What is wrong. */
  readonly kind: CredentialsProblemKind;
  /** The dotted key to set or fix, e.g. `teleport.identity`. */
  readonly configKey: string;

  /** The error for `problem`, with its sentence unchanged. */
  constructor(problem: CredentialsProblem) {
    super(problem.message);
    this.name = "CredentialsError";
    this.kind = problem.kind;
    this.configKey = problem.configKey;
  }
}

const TRIPLE = [
  ["teleport.client_key", "clientKey"],
  ["teleport.client_crt", "clientCrt"],
  ["teleport.root_cas", "rootCas"],
] as const;

/** The credential files the section names, or what is wrong with it. */
export function chooseCredentials(
  teleport: CredentialSettings,
): { readonly files: CredentialFiles } | { readonly problem: CredentialsProblem } {
  const isSet = (value: string | undefined): value is string => value !== undefined && value !== "";
  const given = TRIPLE.filter(([, field]) => isSet(teleport[field])).map(([key]) => key);
  const missing = TRIPLE.filter(([, field]) => !isSet(teleport[field])).map(([key]) => key);
  if (isSet(teleport.identity) && given.length > 0) {
    return {
      problem: {
        kind: "both",
        configKey: "teleport.identity",
        message: "teleport.identity cannot be combined with teleport.client_key, " +
          "teleport.client_crt and teleport.root_cas: keep either the identity file or the three " +
          "TLS files.",
      },
    };
  }
  if (isSet(teleport.identity)) {
    return { files: { kind: "identity_file", path: teleport.identity } };
  }
  if (given.length === 0) {
    return {
      problem: {
        kind: "none",
        configKey: "teleport.identity",
        message: "no Teleport credentials are configured: set teleport.identity to an identity " +
          "file (from `tctl auth sign --format=file` or tbot), or set teleport.client_key, " +
          "teleport.client_crt and teleport.root_cas (from `tctl auth sign --format=tls`).",
      },
    };
  }
  if (missing.length > 0) {
    const are = (keys: readonly string[]) => keys.length === 1 ? "is" : "are";
    return {
      problem: {
        kind: "partial",
        configKey: missing[0],
        message: `${given.join(", ")} ${are(given)} set but ${missing.join(", ")} ${
          are(missing)
        } missing: set all three (from \`tctl auth sign --format=tls\`) or none.`,
      },
    };
  }
  return {
    files: {
      kind: "tls_files",
      keyPath: teleport.clientKey!,
      certPath: teleport.clientCrt!,
      casPath: teleport.rootCas!,
    },
  };
}

/** Why the Teleport section cannot connect, or undefined when it names credentials. */
export function credentialsProblem(teleport: CredentialSettings): string | undefined {
  const choice = chooseCredentials(teleport);
  return "problem" in choice ? choice.problem.message : undefined;
}

/** The credential files the section names; throws {@link CredentialsError} when it names none. */
export function credentialFilesFromConfig(teleport: CredentialSettings): CredentialFiles {
  const choice = chooseCredentials(teleport);
  if ("problem" in choice) throw new CredentialsError(choice.problem);
  return choice.files;
}
