/** A duration in its largest whole unit: `5s`, `90m`, `2h`, `30d`. */
export function formatSpan(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return ms < 1_000 ? `${ms}ms` : `${Math.round(ms / 1_000)}s`;
}
