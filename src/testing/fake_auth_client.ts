/**
 * A bare grpc-js client for a fake Auth server, authenticated with a test identity, for tests
 * and tools that need to speak the wire protocol directly (the product's own client lives in
 * `src/teleport/`).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { type ClientIdentity, TELEPORT_API_DOMAIN } from "../fakes/pki.ts";

/** Channel credentials for `identity`: its key and certificate, trusting its Host CAs. */
export function identityCredentials(identity: ClientIdentity): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(
    Buffer.from(identity.hostCaCertPems.join("")),
    Buffer.from(identity.keyPem),
    Buffer.from(identity.certPem),
  );
}

/**
 * A grpc-js client connected to `addr` as `identity`, verifying the server as
 * `teleport.cluster.local` (as Teleport clients do). Close it when done.
 */
export function connectRawClient(
  addr: string,
  identity: ClientIdentity,
  options: grpc.ChannelOptions = {},
): grpc.Client {
  return new grpc.Client(addr, identityCredentials(identity), {
    "grpc.ssl_target_name_override": TELEPORT_API_DOMAIN,
    "grpc.default_authority": TELEPORT_API_DOMAIN,
    ...options,
  });
}
