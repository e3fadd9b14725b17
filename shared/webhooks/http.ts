/**
 * The platform-free shape of a webhook request and answer. Entry points adapt API Gateway
 * events, functions-framework requests or a loopback server into this and back.
 */

export interface WebhookRequest {
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw body exactly as received: signatures are computed over these bytes. */
  body: string;
}

export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
}

/** Lower-cases header names (API Gateway v2 already does; other callers may not). */
export function lowerCaseHeaders(
  headers: Record<string, string | string[] | undefined> | undefined,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(headers ?? {}))
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  return out;
}

export function answer(
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
): WebhookResponse {
  return { status, body: { message, ...extra } };
}

/**
 * 413 when the body (or its declared Content-Length) is larger than `maxBytes`; checked
 * before anything parses or hashes the body.
 */
export function tooLarge(req: WebhookRequest, maxBytes: number): WebhookResponse | undefined {
  const declared = Number(req.headers['content-length']);
  const size = Math.max(
    Number.isFinite(declared) ? declared : 0,
    Buffer.byteLength(req.body, 'utf8'),
  );
  return size > maxBytes
    ? answer(413, `payload of ${size} bytes is larger than the configured ${maxBytes}`)
    : undefined;
}

/** The body as a JSON object, or undefined when it is not one. */
export function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
