/**
 * How GitLab's API layer (Grape) reads parameters and renders errors, for the token,
 * deploy-token and identity routes. Parameters arrive in the query string, a JSON body or a
 * form body alike (`scopes[]=api` repeated for arrays); declared-parameter failures answer
 * `400 {"error":"..."}` before any model code runs, and helper errors answer
 * `{"message":"..."}` with the wording of `lib/api/helpers.rb`.
 */
import { HttpError, type Request } from '../http.js';

export type ApiParams = Record<string, unknown>;

/** Query parameters merged under the body, the way Grape sees one `params` hash. */
export function apiParams(req: Request): ApiParams {
  const out: ApiParams = {};
  addPairs(out, req.query);
  const type = req.header('content-type') ?? '';
  if (req.body.length > 0 && type.includes('application/x-www-form-urlencoded')) {
    addPairs(out, new URLSearchParams(req.body.toString('utf8')));
    return out;
  }
  const body = req.json<unknown>();
  if (body && typeof body === 'object' && !Array.isArray(body)) Object.assign(out, body);
  return out;
}

function addPairs(out: ApiParams, pairs: URLSearchParams): void {
  for (const [k, v] of pairs) {
    if (k.endsWith('[]')) {
      const key = k.slice(0, -2);
      const prev = out[key];
      out[key] = Array.isArray(prev) ? [...prev, v] : [v];
    } else out[k] = v;
  }
}

/** Grape's `requires`: one 400 naming every missing parameter, in declaration order. */
export function requireParams(p: ApiParams, names: string[]): void {
  const missing = names.filter((n) => p[n] === undefined || p[n] === null || p[n] === '');
  if (missing.length > 0) {
    throw new HttpError(400, { error: missing.map((n) => `${n} is missing`).join(', ') });
  }
}

export function strParam(p: ApiParams, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new HttpError(400, { error: `${name} is invalid` });
}

export function intParam(p: ApiParams, name: string): number | undefined {
  const v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw new HttpError(400, { error: `${name} is invalid` });
  return n;
}

export function boolParam(p: ApiParams, name: string): boolean | undefined {
  const v = p[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (v === true || v === 'true' || v === '1' || v === 1) return true;
  if (v === false || v === 'false' || v === '0' || v === 0) return false;
  throw new HttpError(400, { error: `${name} is invalid` });
}

/** An `Array[String]` restricted to `allowed` (Grape `values:`); a comma list is accepted too. */
export function scopesParam(p: ApiParams, name: string, allowed: readonly string[]): string[] {
  const v = p[name];
  const list = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
  const scopes = list.map((s) => String(s).trim()).filter((s) => s.length > 0);
  if (scopes.length === 0 || scopes.some((s) => !allowed.includes(s))) {
    throw new HttpError(400, { error: `${name} does not have a valid value` });
  }
  return [...new Set(scopes)];
}

/** A Grape `Date` (`YYYY-MM-DD`; a longer ISO timestamp is cut to its date). */
export function dateParam(p: ApiParams, name: string): string | undefined {
  const v = strParam(p, name);
  if (v === undefined || v === '') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(v);
  if (!m || Number.isNaN(Date.parse(`${m[1]}T00:00:00Z`))) {
    throw new HttpError(400, { error: `${name} is invalid` });
  }
  return m[1];
}

/** A Grape `DateTime`: any ISO 8601 date or timestamp. */
export function dateTimeParam(p: ApiParams, name: string): Date | undefined {
  const v = strParam(p, name);
  if (v === undefined || v === '') return undefined;
  const text = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new HttpError(400, { error: `${name} is invalid` });
  return new Date(t);
}

/** `bad_request!(reason)`: `400 {"message":"400 Bad request - <reason>"}`. */
export function badRequest(reason?: string): HttpError {
  return new HttpError(400, {
    message: reason ? `400 Bad request - ${reason}` : '400 Bad request',
  });
}

/** `not_found!(resource)`: `404 {"message":"404 <Resource> Not Found"}`. */
export function notFound(resource?: string): HttpError {
  return new HttpError(404, { message: resource ? `404 ${resource} Not Found` : '404 Not Found' });
}

export function unauthorized(): HttpError {
  return new HttpError(401, { message: '401 Unauthorized' });
}

export function forbidden(reason?: string): HttpError {
  return new HttpError(403, { message: reason ? `403 Forbidden - ${reason}` : '403 Forbidden' });
}

/** `render_api_error!(message, 422)` as the user-token endpoints answer model failures. */
export function unprocessable(message: string): HttpError {
  return new HttpError(422, { message });
}

/** GitLab's date-only fields (`expires_at` of access tokens). */
export function dateOnly(d: Date): string {
  return d.toISOString().slice(0, 10);
}
