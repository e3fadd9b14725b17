/**
 * The subset of the list filter syntax Secret Manager documents that credrot and its
 * tests need: `field:value` (has / contains, case-insensitive; `*` = present),
 * `field=value`, `!=`, `<`, `>`, `<=`, `>=` (timestamps), `NOT`/`-` negation, `OR`
 * between restrictions and implicit or explicit `AND` (which binds looser than `OR`,
 * as in AIP-160). Parentheses are not supported and answer INVALID_ARGUMENT.
 *
 * https://cloud.google.com/secret-manager/docs/filtering
 */
import { invalidArgument } from './errors.js';

export type FieldValue = string | string[] | Date | undefined;
/** Reads a field (`name`, `labels.env`, `create_time`, ...) from an item; `null` = unknown field. */
export type FieldReader<T> = (item: T, field: string) => FieldValue | null;

type Op = ':' | '=' | '!=' | '<' | '>' | '<=' | '>=';

interface Restriction {
  negate: boolean;
  field: string;
  op: Op;
  value: string;
}

const OPS = /(<=|>=|!=|=|:|<|>)/;

function tokenize(filter: string): string[] {
  const normalized = filter.replace(/\s*(<=|>=|!=|=|:|<|>)\s*/g, '$1');
  const tokens: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let token = '';
  let m: RegExpExecArray | null = re.exec(normalized);
  let lastEnd = 0;
  while (m) {
    // A quoted value glued to `field:` belongs to the same token.
    const glued = m.index === lastEnd && token !== '' && /[=:<>]$/.test(token);
    const text = m[1] !== undefined ? m[1] : m[2]!;
    if (glued) token += text;
    else {
      if (token) tokens.push(token);
      token = text;
    }
    lastEnd = re.lastIndex;
    m = re.exec(normalized);
  }
  if (token) tokens.push(token);
  return tokens;
}

function parseRestriction(token: string, negate: boolean): Restriction {
  if (token.startsWith('-')) return parseRestriction(token.slice(1), !negate);
  if (/[()]/.test(token)) throw invalidArgument(`Unsupported filter expression [${token}].`);
  const parts = token.split(OPS);
  if (parts.length < 3) throw invalidArgument(`Invalid filter restriction [${token}].`);
  const [field, op] = [parts[0]!, parts[1] as Op];
  return { negate, field, op, value: parts.slice(2).join('') };
}

/** Parses a filter into AND-of-ORs of restrictions. */
function parse(filter: string): Restriction[][] {
  const clauses: Restriction[][] = [];
  let current: Restriction[] = [];
  let negateNext = false;
  let orPending = false;
  for (const token of tokenize(filter)) {
    if (token === 'AND') continue;
    if (token === 'NOT') {
      negateNext = true;
      continue;
    }
    if (token === 'OR') {
      orPending = true;
      continue;
    }
    const r = parseRestriction(token, negateNext);
    negateNext = false;
    if (orPending && current.length > 0) current.push(r);
    else {
      if (current.length > 0) clauses.push(current);
      current = [r];
    }
    orPending = false;
  }
  if (current.length > 0) clauses.push(current);
  return clauses;
}

function compareTimes(actual: Date, op: Op, value: string): boolean {
  const want = new Date(value);
  if (Number.isNaN(want.getTime()))
    throw invalidArgument(`Invalid timestamp [${value}] in filter.`);
  const a = actual.getTime();
  const b = want.getTime();
  switch (op) {
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
    case '!=':
      return a !== b;
    default:
      return a === b;
  }
}

function matchOne(actual: FieldValue, op: Op, value: string): boolean {
  if (actual instanceof Date) return compareTimes(actual, op, value);
  if (Array.isArray(actual)) return actual.some((a) => matchOne(a, op, value));
  if (actual === undefined) return op === '!=';
  switch (op) {
    case ':':
      return value === '*' || actual.toLowerCase().includes(value.toLowerCase());
    case '=':
      return actual === value;
    case '!=':
      return actual !== value;
    default:
      throw invalidArgument(`Operator [${op}] is only supported on timestamps.`);
  }
}

/** Compiles `filter` into a predicate; an empty filter matches everything. */
export function compileFilter<T>(filter: string, read: FieldReader<T>): (item: T) => boolean {
  if (filter.trim() === '') return () => true;
  const clauses = parse(filter);
  return (item) =>
    clauses.every((clause) =>
      clause.some((r) => {
        const actual = read(item, r.field);
        if (actual === null) throw invalidArgument(`Unknown field [${r.field}] in filter.`);
        return matchOne(actual, r.op, r.value) !== r.negate;
      }),
    );
}
