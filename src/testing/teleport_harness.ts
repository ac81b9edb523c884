/**
 * Test set-up shared by the client and watcher tests: a fake Auth Service, a plugin user with
 * an identity file in a temporary directory, and a {@linkcode TeleportClient} for it.
 * Disposing the harness closes the client, stops the server and removes the directory.
 *
 * @module
 */

import { FakeAuthServer } from "../fakes/auth/server.ts";
import type { Permissions } from "../fakes/auth/rbac.ts";
import { type ClientIdentity, writeIdentityFile } from "../fakes/pki.ts";
import {
  type CredentialsSource,
  TeleportClient,
  type TeleportClientOptions,
} from "../teleport/client.ts";
import { loadCredentials, type TeleportCredentials } from "../teleport/identity.ts";

/** The plugin's Teleport user in the tests. */
export const PLUGIN_USER = "pagerduty-plugin";

/** Credentials that change when the test says so, like an `IdentitySource` after a renewal. */
export class ChangingCredentials implements CredentialsSource {
  #current: TeleportCredentials;
  readonly #listeners = new Set<(next: TeleportCredentials) => void>();

  /** Starts with `initial`. */
  constructor(initial: TeleportCredentials) {
    this.#current = initial;
  }

  /** The credentials now. */
  get current(): TeleportCredentials {
    return this.#current;
  }

  /** Registers a listener; returns its removal. */
  subscribe(listener: (next: TeleportCredentials) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Switches to `next` and tells the listeners. */
  change(next: TeleportCredentials): void {
    this.#current = next;
    for (const listener of this.#listeners) listener(next);
  }
}

/** A running fake Auth Service and a client of it. */
export interface Harness extends AsyncDisposable {
  readonly auth: FakeAuthServer;
  readonly client: TeleportClient;
  readonly credentials: ChangingCredentials;
  readonly dir: string;
  /** Writes `identity` as an identity file and loads it as the plugin would. */
  load(identity: ClientIdentity, fileName?: string): Promise<TeleportCredentials>;
}

/** Options of {@linkcode startHarness}. */
export interface HarnessOptions {
  /** The plugin user's rights; the fake's access-plugin grant by default. */
  readonly permissions?: Permissions;
  /** Overrides of the client options (the address defaults to the fake's). */
  readonly client?: Partial<TeleportClientOptions>;
}

/** Starts a fake Auth Service with the plugin user and a client using its identity file. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const auth = await FakeAuthServer.start();
  const dir = await Deno.makeTempDir({ prefix: "teleport-client-test-" });
  try {
    auth.addUser({ name: PLUGIN_USER, roles: ["access-plugin"], permissions: options.permissions });
    const load = async (identity: ClientIdentity, fileName = "identity") =>
      await loadCredentials({
        kind: "identity_file",
        path: await writeIdentityFile(dir, identity, fileName),
      });
    const credentials = new ChangingCredentials(await load(await auth.issueIdentity(PLUGIN_USER)));
    const client = new TeleportClient({
      addr: `localhost:${auth.port}`,
      credentials,
      callTimeoutMs: 5_000,
      ...options.client,
    });
    return {
      auth,
      client,
      credentials,
      dir,
      load,
      async [Symbol.asyncDispose]() {
        client.close();
        await auth.stop();
        await client.closed();
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (error) {
    await auth.stop();
    await Deno.remove(dir, { recursive: true });
    throw error;
  }
}
