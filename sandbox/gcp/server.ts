/**
 * The gRPC server plumbing every Google emulator shares: every method of the shipped
 * service definitions, with the shared fault plan applied per call (operation names
 * `<prefix>.<Method>`, `gcp.<Method>` for Secret Manager), and a call log in the shape
 * `sandbox/http.ts` records. Unary methods answer a handler's value; bidirectional
 * streams (Pub/Sub's StreamingPull) get the fault plan when they open.
 */
import { grpc } from 'google-gax';
import { type FaultAction, type FaultController, sleep } from '../faults.js';
import type { CallRecord } from '../http.js';
import { errorMetadata, grpcCodeForHttpStatus, httpStatusForGrpcCode, RpcError } from './errors.js';
import { handlers } from './handlers.js';
import { loadServiceDefinition } from './proto.js';
import type { SecretStore } from './secrets.js';

/** A call as recorded: the HTTP-equivalent `status`, plus the gRPC `code` that was sent. */
export interface GrpcCallRecord extends CallRecord {
  /** gRPC status code answered; -1 when the call was dropped without an answer. */
  code: number;
  /** The resource the request named (`name` or `parent`), when it had one. */
  resource?: string;
}

const Status = grpc.status;
const DEFAULT_HANG_MS = 30_000;

/** Google's generic wording for the statuses a fault plan can inject. */
function faultDetails(code: grpc.status, service: string): string {
  switch (code) {
    case Status.RESOURCE_EXHAUSTED:
      return `Quota exceeded for quota metric 'Access requests' and limit 'Access requests per minute per project' of service '${service}'.`;
    case Status.UNAVAILABLE:
      return 'The service is currently unavailable.';
    case Status.ABORTED:
      return 'The operation was aborted.';
    case Status.INTERNAL:
      return 'Internal error encountered.';
    default:
      return `${Status[code]} injected fault`;
  }
}

type UnaryCall = grpc.ServerUnaryCall<unknown, unknown>;
type Callback = grpc.sendUnaryData<unknown>;
export type DuplexCall = grpc.ServerDuplexStream<unknown, unknown>;

/** Answers a unary request; throws `RpcError` for a gRPC error status. */
export type UnaryHandler = (request: unknown) => unknown;
/** Serves one opened bidirectional stream (after the fault plan let it through). */
export type StreamHandler = (call: DuplexCall) => void;

export interface GrpcServiceSpec {
  definition: grpc.ServiceDefinition;
  unary: Record<string, UnaryHandler>;
  streams?: Record<string, StreamHandler>;
}

export interface GrpcEmulatorOptions {
  /** Operation-name prefix for fault rules and the call log (`gcp`, `pubsub`). */
  prefix: string;
  /** The service host named in quota errors (`secretmanager.googleapis.com`). */
  quotaService: string;
}

/** A gRPC server for emulated Google services with the sandbox's fault plan and call log. */
export class GrpcEmulatorServer {
  readonly grpcServer = new grpc.Server();
  readonly calls: GrpcCallRecord[] = [];
  private readonly timers = new Set<() => void>();

  constructor(
    services: GrpcServiceSpec[],
    private readonly faults: FaultController,
    private readonly options: GrpcEmulatorOptions,
  ) {
    for (const spec of services) {
      const impl: grpc.UntypedServiceImplementation = {};
      for (const [method, def] of Object.entries(spec.definition)) {
        const stream = spec.streams?.[method];
        if (def.requestStream && def.responseStream && stream) {
          impl[method] = (call: DuplexCall) => {
            void this.openStream(method, def.path, call, stream);
          };
          continue;
        }
        impl[method] = (call: UnaryCall, callback: Callback) => {
          void this.dispatch(method, def.path, call, callback, spec.unary[method]);
        };
      }
      this.grpcServer.addService(spec.definition, impl);
    }
  }

  /** Binds 127.0.0.1:`port` (0 = a free port) and answers the bound port. */
  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.grpcServer.bindAsync(
        `127.0.0.1:${port}`,
        grpc.ServerCredentials.createInsecure(),
        (err, bound) => (err ? reject(err) : resolve(bound)),
      );
    });
  }

  /** Stops at once: pending hangs are released and open calls cancelled. */
  close(): Promise<void> {
    for (const release of this.timers) release();
    this.timers.clear();
    this.grpcServer.forceShutdown();
    return Promise.resolve();
  }

  private async dispatch(
    method: string,
    path: string,
    call: UnaryCall,
    cb: Callback,
    handler: UnaryHandler | undefined,
  ) {
    const operation = `${this.options.prefix}.${method}`;
    const request = call.request as {
      name?: unknown;
      parent?: unknown;
      secret?: { name?: unknown };
    };
    const resourceOf = request.name ?? request.parent ?? request.secret?.name;
    const resource = typeof resourceOf === 'string' ? resourceOf : undefined;
    const record = (code: number) =>
      this.calls.push({
        operation,
        method: 'POST',
        path,
        status: code < 0 ? 0 : httpStatusForGrpcCode(code),
        code,
        resource,
        at: Date.now(),
      });

    const delay = this.faults.delayMs();
    if (delay > 0) await sleep(delay);
    const fault: FaultAction | undefined = this.faults.next(operation, `POST ${path}`);

    if (fault?.type === 'hang') {
      await this.wait(fault.ms ?? DEFAULT_HANG_MS, call);
      record(-1);
      // What a client sees when the server drops the connection under it.
      if (!call.cancelled) cb({ code: Status.UNAVAILABLE, details: 'Connection dropped' });
      return;
    }
    if (fault?.type === 'status') {
      const code = grpcCodeForHttpStatus(fault.status);
      const err = new RpcError(
        code,
        faultDetails(code, this.options.quotaService),
        fault.retryAfterSeconds,
      );
      record(code);
      cb({ code, details: err.details, metadata: errorMetadata(err) });
      return;
    }

    let code: grpc.status = Status.OK;
    let response: unknown;
    let error: RpcError | undefined;
    try {
      if (!handler)
        throw new RpcError(
          Status.UNIMPLEMENTED,
          `Method ${method} is not implemented by the sandbox.`,
        );
      response = await handler(call.request);
    } catch (err) {
      error =
        err instanceof RpcError
          ? err
          : new RpcError(Status.INTERNAL, `sandbox internal error: ${(err as Error).message}`);
      code = error.code;
    }
    record(code);
    if (fault?.type === 'crash-after-commit') {
      cb({ code: Status.UNAVAILABLE, details: 'Connection dropped' });
      return;
    }
    if (error) cb({ code: error.code, details: error.details, metadata: errorMetadata(error) });
    else cb(null, response);
  }

  /**
   * Opens a stream through the fault plan: a status fault ends it with that status, a
   * hang holds it then drops it, and crash-after-commit opens it then drops it at once
   * (UNAVAILABLE, which streaming clients treat as retryable).
   */
  private async openStream(method: string, path: string, call: DuplexCall, serve: StreamHandler) {
    const operation = `${this.options.prefix}.${method}`;
    const record = (code: number) =>
      this.calls.push({
        operation,
        method: 'POST',
        path,
        status: code < 0 ? 0 : httpStatusForGrpcCode(code),
        code,
        at: Date.now(),
      });
    const delay = this.faults.delayMs();
    if (delay > 0) await sleep(delay);
    const fault: FaultAction | undefined = this.faults.next(operation, `POST ${path}`);
    const fail = (code: grpc.status, details: string, metadata = new grpc.Metadata()) => {
      call.emit('error', { code, details, metadata });
    };
    if (fault?.type === 'hang') {
      await this.wait(fault.ms ?? DEFAULT_HANG_MS, call);
      record(-1);
      if (!call.cancelled) fail(Status.UNAVAILABLE, 'Connection dropped');
      return;
    }
    if (fault?.type === 'status') {
      const code = grpcCodeForHttpStatus(fault.status);
      const err = new RpcError(
        code,
        faultDetails(code, this.options.quotaService),
        fault.retryAfterSeconds,
      );
      record(code);
      fail(code, err.details, errorMetadata(err));
      return;
    }
    record(Status.OK);
    if (fault?.type === 'crash-after-commit') {
      fail(Status.UNAVAILABLE, 'Connection dropped');
      return;
    }
    serve(call);
  }

  /** Sleeps `ms`, or less if the client cancels or the server closes. */
  private wait(ms: number, call: UnaryCall | DuplexCall): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.timers.delete(release);
        call.removeListener('cancelled', release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      call.on('cancelled', release);
      this.timers.add(release);
    });
  }
}

/** The Secret Manager v1 service over the store. */
export class SecretManagerServer extends GrpcEmulatorServer {
  constructor(store: SecretStore, faults: FaultController) {
    const unary: Record<string, UnaryHandler> = {};
    for (const [method, handler] of Object.entries(handlers)) {
      unary[method] = (request) => handler(store, request);
    }
    super([{ definition: loadServiceDefinition(), unary }], faults, {
      prefix: 'gcp',
      quotaService: 'secretmanager.googleapis.com',
    });
  }
}
