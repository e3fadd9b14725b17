/**
 * `credrot check`'s engine: evaluate every watcher of the configuration as of one
 * instant. A watcher that cannot be read becomes an `unknown` finding with an error that
 * names the file and the problem; the scan goes on with the others.
 */
import { isAbsolute, relative } from 'node:path';
import { describeEvaluation } from '../expiry/describe.js';
import { type Evaluation, evaluate } from '../expiry/policy.js';
import { REASONS } from '../expiry/reasons.js';
import { type ExpiryWindow, layeredThresholds, type Thresholds } from '../expiry/types.js';
import { byUrgency, type Finding, URGENCY } from './finding.js';
import {
  describeFileError,
  nodeSources,
  type Sources,
  type WatcherKind,
  windowsOfChain,
  windowsOfFile,
} from './sources.js';

/** The part of the loaded configuration a check reads (paths already absolute). */
export interface CheckConfig {
  watchers: Array<{
    name: string;
    kind: WatcherKind;
    path?: string;
    url?: string;
    thresholds?: { warningMs?: number; criticalMs?: number };
  }>;
  defaults: {
    thresholds: Partial<Thresholds>;
    renewBefore?: number;
  };
}

type Watcher = CheckConfig['watchers'][number];

export interface ScanOptions {
  /** The instant to evaluate at (the CLI's clock or `--now`). */
  now: Date;
  /** Overrides every configured threshold (the CLI's `--warn` / `--critical`). */
  thresholds?: Partial<Thresholds>;
  /** Base for showing file locations relatively; absolute paths when omitted. */
  cwd?: string;
  /** Per TLS endpoint, ms. Default 10 s. */
  timeoutMs?: number;
  sources?: Sources;
}

/** Evaluates every watcher; never rejects for a single bad input. Sorted by urgency. */
export async function scan(config: CheckConfig, options: ScanOptions): Promise<Finding[]> {
  const perWatcher = await Promise.all(
    config.watchers.map((watcher) => scanWatcher(watcher, config, options)),
  );
  return perWatcher.flat().sort(byUrgency);
}

async function scanWatcher(
  watcher: Watcher,
  config: CheckConfig,
  options: ScanOptions,
): Promise<Finding[]> {
  const location = locationOf(watcher, options.cwd);
  let windows: ExpiryWindow[];
  try {
    windows = await windowsOf(watcher, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [
      {
        name: watcher.name,
        kind: watcher.kind,
        location,
        subject: '-',
        status: 'unknown',
        due: false,
        reason: REASONS.Unreadable,
        fingerprint: '-',
        error: `${location}: ${message}`,
      },
    ];
  }
  const thresholds = thresholdsFor(watcher, config, options);
  return groupByLocator(windows).map((members) =>
    findingOf(watcher, location, members, thresholds, config.defaults.renewBefore, options.now),
  );
}

async function windowsOf(watcher: Watcher, options: ScanOptions): Promise<ExpiryWindow[]> {
  const sources = options.sources ?? nodeSources;
  if (watcher.kind === 'tls-endpoint') {
    if (!watcher.url) throw new Error('tls-endpoint watcher has no url');
    return windowsOfChain(
      await sources.fetchCertificateChain(watcher.url, options.timeoutMs ?? 10_000),
    );
  }
  if (!watcher.path) throw new Error(`${watcher.kind} watcher has no path`);
  let data: Buffer;
  try {
    data = await sources.readFile(watcher.path);
  } catch (error) {
    throw new Error(`cannot read: ${describeFileError(error)}`);
  }
  return windowsOfFile(watcher.kind, data);
}

function thresholdsFor(watcher: Watcher, config: CheckConfig, options: ScanOptions): Thresholds {
  return layeredThresholds(options.thresholds, watcher.thresholds, config.defaults.thresholds);
}

/** Windows sharing a locator are one credential (a bundle or chain), in input order. */
function groupByLocator(windows: ExpiryWindow[]): ExpiryWindow[][] {
  const groups = new Map<string, ExpiryWindow[]>();
  for (const window of windows) {
    const key = window.locator ?? '';
    groups.set(key, [...(groups.get(key) ?? []), window]);
  }
  return [...groups.values()];
}

/**
 * Every member of a bundle is evaluated; the most urgent one (by status, then earliest
 * notAfter — so normally the earliest expiry) speaks for the bundle and is named.
 */
function findingOf(
  watcher: Watcher,
  location: string,
  members: ExpiryWindow[],
  thresholds: Thresholds,
  renewBeforeMs: number | undefined,
  now: Date,
): Finding {
  const evaluated = members.map((window) => ({
    window,
    evaluation: evaluate(window, now, thresholds, renewBeforeMs),
  }));
  evaluated.sort((a, b) => mostUrgent(a.evaluation, a.window, b.evaluation, b.window));
  const { window, evaluation } = evaluated[0]!;
  const notes = [describeEvaluation(window, evaluation, now)];
  if (window.member) {
    notes.push(
      `certificate ${window.member.index} of ${window.member.count} is the most urgent (all ${window.member.count} evaluated)`,
    );
  }
  if (window.detail) notes.push(window.detail);
  const finding: Finding = {
    name: watcher.name,
    kind: watcher.kind,
    location: window.locator ? `${location}#${window.locator}` : location,
    subject: window.subject,
    status: evaluation.status,
    due: evaluation.due,
    reason: evaluation.reason,
    fingerprint: window.fingerprint,
    note: notes.join('; '),
  };
  if (window.notBefore) finding.notBefore = window.notBefore;
  if (window.notAfter) finding.notAfter = window.notAfter;
  if (evaluation.remainingMs !== undefined) finding.remainingMs = evaluation.remainingMs;
  if (evaluation.renewAt) finding.renewAt = evaluation.renewAt;
  return finding;
}

function mostUrgent(a: Evaluation, aw: ExpiryWindow, b: Evaluation, bw: ExpiryWindow): number {
  return (
    URGENCY.indexOf(a.status) - URGENCY.indexOf(b.status) ||
    (aw.notAfter?.getTime() ?? Number.POSITIVE_INFINITY) -
      (bw.notAfter?.getTime() ?? Number.POSITIVE_INFINITY)
  );
}

function locationOf(watcher: Watcher, cwd: string | undefined): string {
  if (watcher.url) return watcher.url;
  if (!watcher.path) return '(no path)';
  if (cwd === undefined) return watcher.path;
  const shown = relative(cwd, watcher.path);
  return shown === '' || shown.startsWith('..') || isAbsolute(shown) ? watcher.path : shown;
}
