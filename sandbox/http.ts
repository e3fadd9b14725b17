/**
 * The HTTP plumbing every REST emulator shares: a tiny router whose handlers return a
 * response value (so that "crash after commit" can run the handler and then drop the
 * connection), fault and latency injection, a call log, and the admin endpoint
 * `/__sandbox/faults` through which a test or a person changes the fault plan at run time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FaultAction, FaultController, type FaultPlan, sleep } from './faults.js';

export interface Request {
  method: string;
  /** Raw path without the query string, still percent-encoded. */
  rawPath: string;
  /** Path with percent-decoding applied per segment. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  params: Record<string, string>;
  body: Buffer;
  /** The operation name of the matched route. */
  operation: string;
  /** Parses the body as JSON, or form/query-encoded for GitLab-style clients; throws HttpError 400. */
  json<T = Record<string, unknown>>(): T;
  header(name: string): string | undefined;
}

export interface Response {
  status: number;
  headers?: Record<string, string | number | string[]>;
  /** Objects and arrays are sent as JSON; strings and Buffers as they are. */
  body?: unknown;
}

export type Handler = (req: Request) => Response | Promise<Response>;

/** Thrown by handlers (and helpers they call) to answer an error response. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string | number> = {},
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

interface Route {
  method: string;
  segments: string[];
  operation: string;
  handler: Handler;
}

export interface CallRecord {
  operation: string;
  method: string;
  path: string;
  status: number;
  at: number;
}

export interface RouterOptions {
  /**
   * Names the operation of a matched request when the route alone cannot (AWS JSON
   * protocols put it in `x-amz-target`). Fault rules and the call log see this name;
   * returning undefined keeps the route's own.
   */
  operationOf?: (req: Request) => string | undefined;
  /** Builds the error body the real service sends for an injected status (AWS needs `__type`, ...). */
  faultBody?: (status: number, req: Request) => Response;
  /** Runs before the handler, after faults and latency: auth-independent checks like rate limits. */
  before?: (req: Request) => Response | undefined | Promise<Response | undefined>;
  /** Adds headers to every answer (rate-limit headers, request ids). */
  after?: (req: Request, res: Response) => void;
  /** How long a `hang` fault holds the connection before dropping it, in ms. */
  defaultHangMs?: number;
  faults?: FaultController;
}

function defaultFaultBody(status: number): Response {
  return { status, body: { message: `${status} injected fault` } };
}

export class Router {
  readonly faults: FaultController;
  readonly calls: CallRecord[] = [];
  private readonly routes: Route[] = [];
  private readonly options: RouterOptions;

  constructor(options: RouterOptions = {}) {
    this.options = options;
    this.faults = options.faults ?? new FaultController();
  }

  /** Registers a handler. Pattern segments starting with `:` are parameters; `*` matches the rest. */
  on(method: string, pattern: string, operation: string, handler: Handler): this {
    this.routes.push({
      method: method.toUpperCase(),
      segments: pattern.split('/').filter(Boolean),
      operation,
      handler,
    });
    return this;
  }

  /** Number of calls per operation since start (or since `resetCalls`). */
  callCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.calls) counts[c.operation] = (counts[c.operation] ?? 0) + 1;
    return counts;
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  private match(
    method: string,
    rawPath: string,
  ): { route: Route; params: Record<string, string> } | undefined {
    const parts = rawPath.split('/').filter(Boolean);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      let ok = true;
      let i = 0;
      for (; i < route.segments.length; i++) {
        const seg = route.segments[i]!;
        if (seg === '*') {
          params['*'] = parts.slice(i).map(safeDecode).join('/');
          i = parts.length;
          break;
        }
        const part = parts[i];
        if (part === undefined) {
          ok = false;
          break;
        }
        if (seg.startsWith(':')) params[seg.slice(1)] = safeDecode(part);
        else if (seg !== part) {
          ok = false;
          break;
        }
      }
      if (ok && i === parts.length) return { route, params };
    }
    return undefined;
  }

  /** The node:http request listener. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.dispatch(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ message: `sandbox internal error: ${(err as Error).message}` }));
      } else res.destroy();
    });
  };

  private async dispatch(inc: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(inc);
    const url = new URL(inc.url ?? '/', 'http://sandbox.invalid');
    const method = (inc.method ?? 'GET').toUpperCase();
    const rawPath = url.pathname;

    if (rawPath === '/__sandbox/faults') {
      send(res, this.admin(method, body));
      return;
    }

    const found = this.match(method, rawPath);
    const req = makeRequest(inc, method, rawPath, url.searchParams, body, found?.params ?? {});
    const derived = found ? this.options.operationOf?.(req) : undefined;
    req.operation = derived ?? found?.route.operation ?? 'unmatched';

    const delay = this.faults.delayMs();
    if (delay > 0) await sleep(delay);

    const fault: FaultAction | undefined = this.faults.next(req.operation, `${method} ${rawPath}`);
    if (fault?.type === 'hang') {
      await sleep(fault.ms ?? this.options.defaultHangMs ?? 30_000);
      this.record(req, 0);
      res.destroy();
      return;
    }
    if (fault?.type === 'status') {
      const out = (this.options.faultBody ?? defaultFaultBody)(fault.status, req);
      out.headers = { ...out.headers };
      if (fault.retryAfterSeconds !== undefined)
        out.headers['retry-after'] = fault.retryAfterSeconds;
      this.record(req, out.status);
      send(res, out);
      return;
    }

    let out: Response;
    try {
      const early = this.options.before ? await this.options.before(req) : undefined;
      if (early) out = early;
      else if (!found) out = { status: 404, body: { message: '404 Not Found' } };
      else out = await found.route.handler(req);
    } catch (err) {
      if (err instanceof HttpError)
        out = { status: err.status, body: err.body, headers: err.headers };
      else throw err;
    }
    this.options.after?.(req, out);
    this.record(req, out.status);
    if (fault?.type === 'crash-after-commit') {
      res.destroy();
      return;
    }
    send(res, out);
  }

  private record(req: Request, status: number): void {
    this.calls.push({
      operation: req.operation,
      method: req.method,
      path: req.rawPath,
      status,
      at: Date.now(),
    });
  }

  private admin(method: string, body: Buffer): Response {
    if (method === 'GET')
      return { status: 200, body: { ...this.faults.plan(), fired: this.faults.fired } };
    if (method === 'DELETE') {
      this.faults.clear();
      return { status: 204 };
    }
    try {
      const plan = JSON.parse(body.toString('utf8') || '{}') as FaultPlan;
      if (method === 'PUT') this.faults.setPlan(plan);
      else for (const rule of plan.rules ?? []) this.faults.addRule(rule);
      return { status: 200, body: this.faults.plan() };
    } catch {
      return {
        status: 400,
        body: { message: 'fault plan must be JSON: {"rules":[...],"latency":...}' },
      };
    }
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function makeRequest(
  inc: IncomingMessage,
  method: string,
  rawPath: string,
  query: URLSearchParams,
  body: Buffer,
  params: Record<string, string>,
): Request {
  let parsed: unknown;
  return {
    method,
    rawPath,
    path: rawPath.split('/').map(safeDecode).join('/'),
    query,
    headers: inc.headers,
    params,
    body,
    operation: '',
    header(name) {
      const v = inc.headers[name.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    },
    json<T>() {
      if (parsed !== undefined) return parsed as T;
      const text = body.toString('utf8');
      const type = inc.headers['content-type'] ?? '';
      if (text.length === 0) parsed = {};
      else if (type.includes('application/x-www-form-urlencoded')) {
        parsed = Object.fromEntries(new URLSearchParams(text));
      } else {
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new HttpError(400, { error: 'The request body is not valid JSON' });
        }
      }
      return parsed as T;
    },
  };
}

function send(res: ServerResponse, out: Response): void {
  res.statusCode = out.status;
  for (const [k, v] of Object.entries(out.headers ?? {})) {
    res.setHeader(k, Array.isArray(v) ? v : String(v));
  }
  if (out.body === undefined || out.status === 204) {
    res.end();
    return;
  }
  if (typeof out.body === 'string' || Buffer.isBuffer(out.body)) {
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'text/plain');
    res.end(out.body);
    return;
  }
  if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(out.body));
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** Starts a listener on 127.0.0.1 (port 0 picks a free one). */
export async function listen(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  port = 0,
): Promise<RunningServer> {
  const server = createServer(listener);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
