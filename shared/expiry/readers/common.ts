/**
 * Parsing helpers shared by the readers. Their error messages say where and what, never
 * echo the input: JSON.parse and the yaml parser both quote a snippet of the text they
 * reject, and in a Docker config or a kubeconfig that snippet can be a password.
 */
import { X509Certificate } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { ParseError } from '../../errors.js';

/** `JSON.parse` whose error names the position only. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // V8 quotes the text around the error; keep only the position or the kind of error.
    const raw = String((error as Error).message);
    const position = /at position (\d+)/.exec(raw)?.[1];
    const why =
      position !== undefined
        ? `syntax error at character ${position}`
        : raw.startsWith('Unexpected end')
          ? 'unexpected end of input'
          : 'syntax error';
    throw new ParseError(`${what} is not valid JSON (${why})`);
  }
}

/** Every YAML document in `text`, as plain values; errors name line and column only. */
export function parseYamlDocuments(text: string, what: string): unknown[] {
  const documents = parseAllDocuments(text, { prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [documents];
  for (const document of list) {
    const first = document.errors[0];
    if (first) {
      const offset = first.pos[0];
      const line = text.slice(0, offset).split('\n').length;
      throw new ParseError(`${what} is not valid YAML (${first.code} at line ${line})`);
    }
  }
  return list.map((document) => document.toJS() as unknown).filter((value) => value != null);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decodes standard base64 (whitespace allowed), refusing anything else. */
export function decodeBase64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new ParseError(`${what} is not base64`);
  }
  return Buffer.from(compact, 'base64');
}

/**
 * A timestamp from an API response: a `Date`, an RFC 3339 string, epoch seconds (the
 * AWS JSON protocol), or a protobuf `{ seconds, nanos }` (gRPC clients). `undefined`
 * and `null` mean absent.
 */
export function readTimestamp(value: unknown, what: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  let date: Date | undefined;
  if (value instanceof Date) date = new Date(value.getTime());
  else if (typeof value === 'number') date = new Date(value * 1_000);
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) date = new Date(value);
  else if (isRecord(value) && value['seconds'] !== undefined) {
    const seconds = Number(String(value['seconds']));
    const nanos = Number(value['nanos'] ?? 0);
    date = new Date(seconds * 1_000 + Math.floor(nanos / 1_000_000));
  }
  if (date === undefined || Number.isNaN(date.getTime())) {
    throw new ParseError(
      `${what} is not a timestamp (expected RFC 3339, e.g. 2025-01-31T00:00:00Z)`,
    );
  }
  return date;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OpenSSL's `Nov 22 01:43:15 2026 GMT`, the form of `X509Certificate.validFrom/validTo`. */
export function parseOpenSslTime(text: string): Date {
  const match = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(text);
  const month = match ? MONTHS.indexOf(match[1]!) : -1;
  if (!match || month < 0) throw new ParseError(`unexpected certificate time '${text}'`);
  return new Date(
    Date.UTC(
      Number(match[6]),
      month,
      Number(match[2]),
      Number(match[3]),
      Number(match[4]),
      Number(match[5]),
    ),
  );
}

/** Node's own certificate parser, with its OpenSSL error turned into ours. */
export function parseX509(der: Buffer, what: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    const detail = String((error as Error).message).replace(/^error:[0-9A-F]+:/, '');
    throw new ParseError(`${what} is not a valid X.509 certificate (${detail})`);
  }
}
