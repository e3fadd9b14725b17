/**
 * How big a fault run is, and how to replay one scenario of it. `npm run test:faults --
 * --seed N --size S --only ID` (scripts/faults.ts) passes these as FAULTS_SEED,
 * FAULTS_SIZE and FAULTS_ONLY, so `npx vitest run -c vitest.faults.config.ts` with the same
 * environment is the same run. Every sampling decision is drawn from the seed.
 */

export interface Scale {
  /** Seed of every sampling decision and of the latency distributions. */
  seed: number;
  /** 1 is the CI default; each step up samples more calls per step (4 runs every call). */
  size: number;
  /** Runs only the scenarios whose id contains this text (a replay). */
  only: string | undefined;
}

function intFrom(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

/**
 * The seed CI replays. Fixed, so a red CI run always means a change broke something and
 * replays exactly; exploring other samples is one option away (`--seed $(date +%s)`).
 */
export const DEFAULT_SEED = 20779;

/** The scale of this run, from the environment (defaults: DEFAULT_SEED, size 1). */
export function scaleFromEnv(env: Record<string, string | undefined> = process.env): Scale {
  const only = env['FAULTS_ONLY'];
  return {
    seed: intFrom(env['FAULTS_SEED'], DEFAULT_SEED, 'FAULTS_SEED'),
    size: Math.max(1, intFrom(env['FAULTS_SIZE'], 1, 'FAULTS_SIZE')),
    only: only ? only : undefined,
  };
}

/** True when the scenario `id` runs in this run (no `--only`, or the id contains it). */
export function selected(scale: Scale, id: string): boolean {
  return scale.only === undefined || id.includes(scale.only);
}

/** The one command that replays scenario `id` of this run. */
export function replayCommand(scale: Scale, id: string): string {
  return `npm run test:faults -- --seed ${scale.seed} --size ${scale.size} --only '${id}'`;
}

/** A small deterministic PRNG (mulberry32): answers floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed derived from `seed` and a label, so independent draws do not share a stream. */
export function subSeed(seed: number, label: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** `count` items of `items` in a seeded random order (all of them when count ≥ length). */
export function sample<T>(items: readonly T[], count: number, random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, Math.max(0, count));
}
