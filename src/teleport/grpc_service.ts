/**
 * Adapter between protobuf-es generated service descriptors and grpc-js. grpc-js only needs a
 * path and four (de)serializers per method; this builds them from the descriptors so neither
 * the client nor the fake Auth server reads a `.proto` file at run time.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as grpc from "@grpc/grpc-js";
import { getLogger } from "@logtape/logtape";
import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";

const grpcLog = getLogger(["teleport-pagerduty", "teleport", "grpc"]);

// grpc-js prints its own errors with console.error, past the service's log; send them to it.
grpc.setLogger({
  error: (...args: unknown[]) => grpcLog.warn("gRPC: {detail}", { detail: args.join(" ") }),
  info: (...args: unknown[]) => grpcLog.debug("gRPC: {detail}", { detail: args.join(" ") }),
  debug: (...args: unknown[]) => grpcLog.debug("gRPC: {detail}", { detail: args.join(" ") }),
});

/** A generated method descriptor of any kind, with its request and response schemas. */
type MethodOf<I extends DescMessage, O extends DescMessage> = DescMethod & {
  readonly input: I;
  readonly output: O;
};

/** A generated unary method descriptor, e.g. `AuthService.method.ping`. */
export type UnaryMethod<I extends DescMessage, O extends DescMessage> = MethodOf<I, O> & {
  readonly methodKind: "unary";
};

/** A generated server-streaming method descriptor, e.g. `AuthService.method.watchEvents`. */
export type ServerStreamingMethod<I extends DescMessage, O extends DescMessage> =
  & MethodOf<I, O>
  & { readonly methodKind: "server_streaming" };

/** Serializes either a full message or its init shape (plain object), so callers may pass both. */
function serializer<D extends DescMessage>(schema: D): (value: MessageInitShape<D>) => Buffer {
  return (value) => Buffer.from(toBinary(schema, create(schema, value)));
}

/** Decodes a message; unknown fields (members our subset leaves out) are skipped. */
function deserializer<D extends DescMessage>(schema: D): (bytes: Buffer) => MessageShape<D> {
  return (bytes) => fromBinary(schema, bytes);
}

/** The grpc-js method definition (path plus serializers) for one generated method. */
export function grpcMethodDefinition<I extends DescMessage, O extends DescMessage>(
  method: MethodOf<I, O>,
): grpc.MethodDefinition<MessageShape<I>, MessageShape<O>> {
  const streamsRequests = method.methodKind === "client_streaming" ||
    method.methodKind === "bidi_streaming";
  const streamsResponses = method.methodKind === "server_streaming" ||
    method.methodKind === "bidi_streaming";
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    originalName: method.name,
    requestStream: streamsRequests,
    responseStream: streamsResponses,
    requestSerialize: serializer(method.input),
    requestDeserialize: deserializer(method.input),
    responseSerialize: serializer(method.output),
    responseDeserialize: deserializer(method.output),
  };
}

/**
 * The grpc-js service definition for a generated service, keyed by each method's local name
 * (`ping`, `watchEvents`, ...): pass it to `grpc.Server.addService` with an implementation
 * keyed the same way (grpc-js also accepts the proto names, `Ping`, `WatchEvents`).
 */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition {
  return Object.fromEntries(
    service.methods.map((method) => [method.localName, grpcMethodDefinition(method)]),
  );
}

/** The server-side handler type grpc-js expects for one generated method. */
export type GrpcHandler<M extends Pick<DescMethod, "input" | "output" | "methodKind">> =
  M["methodKind"] extends "unary" ? grpc.handleUnaryCall<
      MessageShape<M["input"]>,
      MessageInitShape<M["output"]>
    >
    : M["methodKind"] extends "server_streaming" ? grpc.handleServerStreamingCall<
        MessageShape<M["input"]>,
        MessageInitShape<M["output"]>
      >
    : never;

/**
 * A typed server implementation of a generated service: one handler per method, keyed by local
 * name. Handlers receive decoded messages and may answer with plain init objects.
 */
export type GrpcServiceImplementation<T extends GenServiceMethods> = {
  [K in keyof T]: GrpcHandler<T[K]>;
};

/** Adds a generated service with a typed implementation to a grpc-js server. */
export function addGrpcService<T extends GenServiceMethods>(
  server: grpc.Server,
  service: GenService<T>,
  implementation: GrpcServiceImplementation<T>,
): void {
  server.addService(
    grpcServiceDefinition(service as unknown as DescService),
    implementation as unknown as grpc.UntypedServiceImplementation,
  );
}

/** Per-call options: every unary call carries a deadline so nothing can hang. */
export interface CallOptions {
  /** Absolute deadline for the call. */
  readonly deadline: Date;
  /** Metadata sent with the call. */
  readonly metadata?: grpc.Metadata;
}

/** Makes one unary call on a grpc-js client; rejects with the grpc-js `ServiceError`. */
export function unaryCall<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  method: UnaryMethod<I, O>,
  request: MessageInitShape<I>,
  options: CallOptions,
): Promise<MessageShape<O>> {
  const definition = grpcMethodDefinition(method);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      create(method.input, request),
      options.metadata ?? new grpc.Metadata(),
      { deadline: options.deadline },
      (error, response) => {
        if (error) reject(error);
        else if (response) resolve(response);
        else reject(new Error(`${definition.path} returned no message`));
      },
    );
  });
}

/** Opens a server-streaming call on a grpc-js client; the caller owns (and must end) the stream. */
export function serverStreamCall<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  method: ServerStreamingMethod<I, O>,
  request: MessageInitShape<I>,
  options: { readonly deadline?: Date; readonly metadata?: grpc.Metadata },
): grpc.ClientReadableStream<MessageShape<O>> {
  const definition = grpcMethodDefinition(method);
  return client.makeServerStreamRequest(
    definition.path,
    definition.requestSerialize,
    definition.responseDeserialize,
    create(method.input, request),
    options.metadata ?? new grpc.Metadata(),
    options.deadline ? { deadline: options.deadline } : {},
  );
}
