/**
 * Human durations for flags and tables. The config schema has its own zod transform for
 * the same syntax; this is the one the CLI and the formatters use.
 */

const UNIT_MS = {
  w: 604_800_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
} as const;

type Unit = keyof typeof UNIT_MS;

// One or more `<integer><unit>` parts in descending order of size, e.g. `30d`, `1d12h`.
const DURATION = /^(?:\d+[wdhms])+$/;
const PART = /(\d+)([wdhms])/g;

/**
 * Parses `30d`, `12h`, `90m`, `45s`, `2w` (or a combination such as `1d12h`) into
 * milliseconds. Throws a `RangeError` whose message names the input and the accepted forms.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!DURATION.test(trimmed)) {
    throw new RangeError(
      `'${text}' is not a duration: use a number and a unit such as 30d, 12h, 90m, 45s or 2w`,
    );
  }
  let total = 0;
  for (const match of trimmed.matchAll(PART)) {
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
  }
  return total;
}

/**
 * A compact rendering of `ms` (its two largest non-zero units, days at most), e.g. `4d 3h`,
 * `90d`, `5m 10s`, `0s`. The sign is ignored.
 */
export function formatDuration(ms: number): string {
  let rest = Math.floor(Math.abs(ms) / 1_000) * 1_000;
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (amount > 0 || parts.length > 0) parts.push(`${amount}${unit}`);
    if (parts.length === 2) break;
  }
  const shown = parts.filter((part, index) => index === 0 || !part.startsWith('0'));
  return shown.length === 0 ? '0s' : shown.join(' ');
}

/**
 * `ms` from now, for people: positive is the future (`in 4d 3h`), negative the past
 * (`2d ago`), under a second is `now`.
 */
export function formatRelative(ms: number): string {
  if (Math.abs(ms) < 1_000) return 'now';
  const amount = formatDuration(ms);
  return ms > 0 ? `in ${amount}` : `${amount} ago`;
}
