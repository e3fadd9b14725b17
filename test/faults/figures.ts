/**
 * The figures each fault file contributes to the summary. A file writes its sections to
 * `$FAULTS_OUT/<file>.json` when it ends; the summary reporter (summary-reporter.ts), in
 * the main vitest process, adds them up. Counts are summed; fields ending in `Ms` take the
 * largest value.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MatrixFigures {
  scenarios: number;
  inProcess: number;
  sigkill: number;
  probes: number;
  /** Distinct probes at which a consumer held a credential GitLab refused. */
  outages: number;
  lost: number;
  validOrphans: number;
  familyRevocations: number;
  /** Stores left with a pending version, a lease or a stray lease label. */
  unclean: number;
  /** Recovery passes that did not end rotated, resumed, not-due or retired-previous. */
  unrecovered: number;
  failed: number;
}

export interface ConcurrencyFigures {
  triggers: number;
  schedule: number;
  webhook: number;
  cli: number;
  mints: number;
  fleet: number;
  rotatedOnce: number;
  crossTalk: number;
}

export interface HostileFigures {
  requests: number;
  gitlab: number;
  github: number;
  unexpectedStatus: number;
  enqueued: number;
  rotated: number;
  crashes: number;
}

export interface HygieneFigures {
  /** Distinct secret values minted during the file's run (each checked with its base64 forms). */
  values: number;
  /** Captured texts: log lines, CLI outputs, error messages, HTTP response bodies. */
  texts: number;
  hits: number;
}

export interface AvailabilityFigures {
  deliveries: number;
  ratePerSecond: number;
  seconds: number;
  ok: number;
  failed: number;
  maxMs: number;
  p99Ms: number;
}

export interface Figures {
  matrix?: Partial<MatrixFigures>;
  concurrency?: Partial<ConcurrencyFigures>;
  hostile?: Partial<HostileFigures>;
  hygiene?: Partial<HygieneFigures>;
  availability?: Partial<AvailabilityFigures>;
}

function outDir(): string | undefined {
  return process.env['FAULTS_OUT'];
}

/** Writes this file's figures (no-op outside `vitest.faults.config.ts`). */
export function writeFigures(file: string, figures: Figures): void {
  const dir = outDir();
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${file}.json`), JSON.stringify(figures));
}

type Section = Record<string, number>;

function merge(into: Section, from: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(from)) {
    if (typeof value !== 'number') continue;
    into[key] = key.endsWith('Ms') ? Math.max(into[key] ?? 0, value) : (into[key] ?? 0) + value;
  }
}

/** Every file's figures in `dir`, added up per section. */
export function readFigures(dir: string): Record<keyof Figures, Section | undefined> {
  const out: Record<string, Section> = {};
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    names = [];
  }
  for (const name of names.sort()) {
    const figures = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
    for (const [section, values] of Object.entries(figures)) {
      if (typeof values !== 'object' || values === null) continue;
      out[section] ??= {};
      merge(out[section]!, values as Record<string, unknown>);
    }
  }
  return {
    matrix: out['matrix'],
    concurrency: out['concurrency'],
    hostile: out['hostile'],
    hygiene: out['hygiene'],
    availability: out['availability'],
  };
}
