/**
 * The gRPC server: every method of the shipped service definition, with the shared
 * fault plan applied per call (operation names `gcp.<Method>`), a call log in the shape
 * `sandbox/http.ts` records, and the store behind it.
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
function faultDetails(code: grpc.status): string {
  switch (code) {
    case Status.RESOURCE_EXHAUSTED:
      return "Quota exceeded for quota metric 'Access requests' and limit 'Access requests per minute per project' of service 'secretmanager.googleapis.com'.";
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

export class SecretManagerServer {
  readonly grpcServer = new grpc.Server();
  readonly calls: GrpcCallRecord[] = [];
  private readonly timers = new Set<() => void>();

  constructor(
    private readonly store: SecretStore,
    private readonly faults: FaultController,
  ) {
    const definition = loadServiceDefinition();
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [method, def] of Object.entries(definition)) {
      impl[method] = (call: UnaryCall, callback: Callback) => {
        void this.dispatch(method, def.path, call, callback);
      };
    }
    this.grpcServer.addService(definition, impl);
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

  private async dispatch(method: string, path: string, call: UnaryCall, cb: Callback) {
    const operation = `gcp.${method}`;
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
      const err = new RpcError(code, faultDetails(code), fault.retryAfterSeconds);
      record(code);
      cb({ code, details: err.details, metadata: errorMetadata(err) });
      return;
    }

    let code: grpc.status = Status.OK;
    let response: unknown;
    let error: RpcError | undefined;
    try {
      const handler = handlers[method];
      if (!handler)
        throw new RpcError(
          Status.UNIMPLEMENTED,
          `Method ${method} is not implemented by the sandbox.`,
        );
      response = handler(this.store, call.request);
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

  /** Sleeps `ms`, or less if the client cancels or the server closes. */
  private wait(ms: number, call: UnaryCall): Promise<void> {
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
