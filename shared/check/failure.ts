/**
 * Why a live credential could not be checked, as one line that names the connection
 * that failed and what to do about it. `credrot check` runs from cron jobs and
 * pipelines: the person reading its output needs the connection and the fix, never a
 * stack trace, and never a value (messages come only from credrot's own errors).
 */
import type { Config } from '../config/load.js';
import { ConfigError, CredrotError, PermissionError, ProviderError } from '../errors.js';

export type ConnectionType = 'gitlab' | 'aws' | 'gcp';

/** One configured connection: `connections.<type>.<name>`. */
export interface ConnectionRef {
  type: ConnectionType;
  name: string;
}

/** A failure of a call made through `connection`. */
export class ConnectionFailure extends CredrotError {
  constructor(
    readonly connection: ConnectionRef,
    cause: unknown,
  ) {
    super(`connections.${connection.type}.${connection.name} failed`, { cause });
    this.name = 'ConnectionFailure';
  }
}

/** Runs `call` and attributes any failure to `connection`. */
export async function through<T>(connection: ConnectionRef, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw error instanceof ConnectionFailure ? error : new ConnectionFailure(connection, error);
  }
}

const SERVICE: Record<ConnectionType, string> = {
  gitlab: 'GitLab',
  aws: 'AWS',
  gcp: 'GCP',
};

/** `GitLab connection 'sandbox' (https://gitlab.example.com)`: where a connection points. */
export function describeConnection(ref: ConnectionRef, connections: Config['connections']): string {
  const where = (() => {
    if (ref.type === 'gitlab') return connections.gitlab[ref.name]?.url;
    if (ref.type === 'aws') {
      const aws = connections.aws[ref.name];
      return aws ? [aws.region, aws.endpoint].filter(Boolean).join(', ') : undefined;
    }
    const gcp = connections.gcp[ref.name];
    return gcp ? [`project ${gcp.project}`, gcp.endpoint].filter(Boolean).join(', ') : undefined;
  })();
  return `${SERVICE[ref.type]} connection '${ref.name}'${where ? ` (${where})` : ''}`;
}

/** Retryable answers that mean "no service there": gRPC UNAVAILABLE and DEADLINE_EXCEEDED. */
const GRPC_UNREACHABLE = new Set([14, 4]);

function unreachable(error: ProviderError): boolean {
  const code = error.context['code'];
  return error.status === undefined || (typeof code === 'number' && GRPC_UNREACHABLE.has(code));
}

/**
 * One line for a failed live check: the connection, the problem and the fix. Errors that
 * are not credrot's own are named by type only (their text is not ours to vouch for).
 */
export function explainFailure(error: unknown, connections: Config['connections']): string {
  if (error instanceof ConfigError) return error.problems[0] ?? error.message;
  if (!(error instanceof ConnectionFailure)) return messageOf(error);
  const ref = error.connection;
  const connection = describeConnection(ref, connections);
  const key = `connections.${ref.type}.${ref.name}`;
  const cause = error.cause;
  if (cause instanceof ConfigError) return cause.problems[0] ?? cause.message;
  if (cause instanceof PermissionError) {
    // AWS and GCP refusals already name the IAM permission to grant.
    const fix =
      ref.type === 'gitlab'
        ? `; renew the token ${key}.token refers to, or give its user access to this resource`
        : '';
    return `${connection} refused the request: ${messageOf(cause)}${fix}`;
  }
  if (cause instanceof ProviderError && unreachable(cause)) {
    const setting =
      ref.type === 'gitlab'
        ? `${key}.url`
        : ref.type === 'aws'
          ? `${key}.endpoint/region`
          : `${key}.endpoint`;
    const code = networkCode(cause);
    return `cannot reach ${connection}: ${messageOf(cause)}${code ? ` [${code}]` : ''}; check ${setting} and the network path, or run 'credrot check --offline' to check only the watched files`;
  }
  return `${connection}: ${messageOf(cause)}`;
}

/** A deadline passed while waiting on `pending` connections. */
export function explainDeadline(
  pending: readonly ConnectionRef[],
  deadlineMs: number,
  connections: Config['connections'],
): string {
  const waited = pending.map((ref) => describeConnection(ref, connections)).join(' and ');
  return `no answer from ${waited || 'the connections'} within ${Math.round(deadlineMs / 1_000)}s; check that the service is reachable, raise --timeout, or run 'credrot check --offline' to check only the watched files`;
}

/** The system error code (ECONNREFUSED, ENOTFOUND, ...) somewhere in the cause chain. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

/** One line, without a final period (a fix follows it after a semicolon). */
function messageOf(error: unknown): string {
  if (error instanceof CredrotError)
    return error.message.replace(/\s*\n\s*/g, ' ').replace(/\.$/, '');
  if (error instanceof Error)
    return `${error.name} (details withheld: it did not come from credrot's own error types)`;
  return 'unknown error';
}
