/**
 * `MaxResults` / `NextToken` paging as Secrets Manager's list operations do it: the token is
 * opaque to the client (here an encoded offset) and a token the service did not issue is
 * refused with `InvalidNextTokenException`.
 *
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
 */
import { AwsError } from './protocol.js';

const PREFIX = 'sbx1:';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** Slices `items` from the position encoded in `nextToken`, at most `maxResults` long. */
export function paginate<T>(
  items: T[],
  maxResults: number,
  nextToken: string | undefined,
): Page<T> {
  const start = nextToken === undefined ? 0 : decode(nextToken);
  const end = start + maxResults;
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? encode(end) : undefined,
  };
}

function encode(offset: number): string {
  return Buffer.from(`${PREFIX}${offset}`, 'utf8').toString('base64');
}

function decode(token: string): number {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const offset = text.startsWith(PREFIX) ? Number(text.slice(PREFIX.length)) : Number.NaN;
  if (!Number.isInteger(offset) || offset < 0) {
    throw new AwsError('InvalidNextTokenException', 'The NextToken value is invalid.');
  }
  return offset;
}
