/**
 * Runs {@linkcode loadCredentials} inside a worker spawned without read permission, for
 * `identity_test.ts`: posts back the error's reason and message.
 *
 * @module
 */

import { IdentityError, loadCredentials } from "../teleport/identity.ts";

const scope = self as unknown as Worker;

scope.onmessage = async (event: MessageEvent<string>) => {
  try {
    await loadCredentials({ kind: "identity_file", path: event.data });
    scope.postMessage({ reason: "loaded", message: "" });
  } catch (error) {
    const reason = error instanceof IdentityError ? error.reason : "other";
    scope.postMessage({ reason, message: String((error as Error).message) });
  }
};
