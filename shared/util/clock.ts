/** The clock is a parameter of the core, never a global (STYLE.md habit 1). */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock that always answers `at`; for tests and for evaluating "as of" a time. */
export function fixedClock(at: Date | string): Clock {
  const instant = new Date(at);
  return () => new Date(instant);
}

export const MS = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
} as const;
