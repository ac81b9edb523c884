/**
 * Errors the fake Auth Service answers with: a gRPC status code plus Teleport's message, as
 * `api/trail.ToGRPC` maps trace errors (AccessDenied → PERMISSION_DENIED, CompareFailed →
 * FAILED_PRECONDITION, ...).
 *
 * @module
 */

import { status } from "@grpc/grpc-js";

/** An RPC failure with the status code and message a real Auth Service would send. */
export class AuthError extends Error {
  /** The gRPC status code. */
  readonly code: status;

  /** Creates an error answered as `code` with `message` as the status details. */
  constructor(code: status, message: string) {
    super(message);
    this.name = "AuthError";
    this.code = code;
  }
}

/** trace.AccessDenied → PERMISSION_DENIED. */
export function accessDenied(message: string): AuthError {
  return new AuthError(status.PERMISSION_DENIED, message);
}

/** trace.NotFound → NOT_FOUND. */
export function notFound(message: string): AuthError {
  return new AuthError(status.NOT_FOUND, message);
}

/** trace.BadParameter → INVALID_ARGUMENT. */
export function badParameter(message: string): AuthError {
  return new AuthError(status.INVALID_ARGUMENT, message);
}

/** trace.CompareFailed → FAILED_PRECONDITION. */
export function compareFailed(message: string): AuthError {
  return new AuthError(status.FAILED_PRECONDITION, message);
}

/** trace.AlreadyExists → ALREADY_EXISTS. */
export function alreadyExists(message: string): AuthError {
  return new AuthError(status.ALREADY_EXISTS, message);
}

/** trace.NotImplemented → UNIMPLEMENTED. */
export function notImplemented(message: string): AuthError {
  return new AuthError(status.UNIMPLEMENTED, message);
}

/** The message Teleport's RBAC gives when a verb on a kind is not allowed. */
export function actionDenied(verb: string, kind: string): AuthError {
  return accessDenied(`access denied to perform action "${verb}" on "${kind}"`);
}
