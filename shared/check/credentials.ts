/**
 * `credrot check` for the credentials credrot rotates: for each one, what GitLab says
 * about the value consumers hold now, what its stores say (the value each holds, an
 * interrupted rotation, the store's own rotation schedule or expiry), and whether it is
 * due, decided by `decideDue` exactly as `credrot plan` decides it.
 *
 * Every remote call is attributed to its connection; a credential that cannot be read
 * becomes an `unknown` finding whose error names the connection and the fix, and the
 * scan goes on with the others. Nothing here reads the environment or the clock.
 */
import type { Config, ResolvedCredential } from '../config/load.js';
import { describeEvaluation } from '../expiry/describe.js';
import { evaluate } from '../expiry/policy.js';
import { readAwsRotation } from '../expiry/readers/aws-rotation.js';
import { readGcpSecret } from '../expiry/readers/gcp-rotation.js';
import { REASONS } from '../expiry/reasons.js';
import type { ExpiryWindow, Thresholds } from '../expiry/types.js';
import { decideDue } from '../rotation/decide.js';
import type { RotationTarget } from '../rotation/engine.js';
import { mapBounded } from '../rotation/fleet.js';
import type { StoreState } from '../rotation/types.js';
import { fingerprint } from '../util/fingerprint.js';
import {
  currentWindow,
  sourceConnection,
  sourceLocation,
  sourceSentence,
  tokenName,
} from './credential-source.js';
import { type ConnectionRef, explainDeadline, explainFailure, through } from './failure.js';
import { type Finding, LIVE_REASONS } from './finding.js';

export type StoreSpec = ResolvedCredential['stores'][number];

/** The I/O a live check needs; the CLI builds it from the configured connections. */
export interface CredentialChecks {
  /** The credential's source and stores, built exactly as `credrot plan` builds them. */
  target(credential: ResolvedCredential): Promise<RotationTarget>;
  /**
   * The store's own metadata: the `DescribeSecret` output (AWS) or the `Secret` resource
   * (GCP); undefined when the secret does not exist.
   */
  storeMetadata(store: StoreSpec): Promise<unknown>;
}

export interface CredentialScanOptions {
  now: Date;
  /** Status thresholds, already resolved (defaults, then command-line overrides). */
  thresholds: Thresholds;
  /** The configured connections, to name them in errors. */
  connections: Config['connections'];
  /** The longest wait for one credential's calls, ms. Default 10 s. */
  deadlineMs?: number;
  /** Credentials checked at once. Default 4. */
  concurrency?: number;
}

/**
 * One finding per credential (plus one per store schedule or expiry), in configuration
 * order; never rejects for a single credential.
 */
export function scanCredentials(
  credentials: readonly ResolvedCredential[],
  checks: CredentialChecks,
  options: CredentialScanOptions,
): Promise<Finding[]> {
  return mapBounded(
    credentials,
    options.concurrency ?? 4,
    (credential) => withDeadline(credential, checks, options),
    (credential, error) => [
      failed(credential, explainFailure(error, options.connections), options),
    ],
  ).then((perCredential) => perCredential.flat());
}

async function withDeadline(
  credential: ResolvedCredential,
  checks: CredentialChecks,
  options: CredentialScanOptions,
): Promise<Finding[]> {
  const deadlineMs = options.deadlineMs ?? 10_000;
  const pending = new Map<string, ConnectionRef>();
  const track: Track = (ref, call) => {
    if (!ref) return call();
    const key = `${ref.type}:${ref.name}`;
    pending.set(key, ref);
    return through(ref, call).finally(() => pending.delete(key));
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Finding[]>((resolve) => {
    timer = setTimeout(() => {
      const message = explainDeadline([...pending.values()], deadlineMs, options.connections);
      resolve([failed(credential, message, options)]);
    }, deadlineMs);
  });
  const work = scanCredential(credential, checks, options, track);
  // Past the deadline nobody awaits `work` any more; its late failure must not go unhandled.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

type Track = <T>(ref: ConnectionRef | undefined, call: () => Promise<T>) => Promise<T>;

async function scanCredential(
  credential: ResolvedCredential,
  checks: CredentialChecks,
  options: CredentialScanOptions,
  track: Track,
): Promise<Finding[]> {
  const { now } = options;
  const source = sourceConnection(credential);
  const storeRefs = credential.stores.map(storeConnection);
  const target = await checks.target(credential);
  const [states, metadata] = await Promise.all([
    Promise.all(target.stores.map((store, i) => track(storeRefs[i]!, () => store.read()))),
    Promise.all(
      credential.stores.map((spec, i) =>
        track(storeRefs[i]!, async () => storeWindows(spec, await checks.storeMetadata(spec))),
      ),
    ),
  ]);
  const current = states[0]?.current?.value;
  const storeNotes = describeStores(target, states, metadata);
  const scheduleFindings = metadata.flatMap((windows, i) =>
    windows
      .filter((window) => window.notAfter !== undefined)
      .map((window) => storeFinding(credential, target.stores[i]!.label, window, options)),
  );
  const renewBefore =
    target.policy.renewBeforeMs !== undefined ? { renewBeforeMs: target.policy.renewBeforeMs } : {};

  if (!current) {
    const decision = decideDue({ current, status: undefined, now, ...renewBefore });
    return [
      {
        name: credential.name,
        kind: credential.kind,
        location: sourceLocation(credential, options.connections),
        subject: tokenName(credential),
        status: 'unknown',
        due: decision.due,
        reason: LIVE_REASONS.NoStoredValue,
        fingerprint: '-',
        note: [`${decision.why}: run 'credrot rotate ${credential.name}'`, ...storeNotes].join(
          '; ',
        ),
      },
      ...scheduleFindings,
    ];
  }

  const status = await track(source, () => target.source.status(current));
  const decision = decideDue({ current, status, now, ...renewBefore });
  const window = currentWindow(credential, current, status);
  const evaluation = evaluate(window, now, options.thresholds, target.policy.renewBeforeMs);
  const finding: Finding = {
    name: credential.name,
    kind: credential.kind,
    location: sourceLocation(credential, options.connections),
    subject: window.subject,
    status: evaluation.status,
    due: decision.due,
    reason: evaluation.reason,
    fingerprint: window.fingerprint,
    note: [
      sourceSentence(credential, status),
      `plan: ${decision.due ? 'rotate' : 'nothing'}, ${decision.why}`,
      ...storeNotes,
    ].join('; '),
  };
  if (window.notBefore) finding.notBefore = window.notBefore;
  if (window.notAfter) finding.notAfter = window.notAfter;
  if (evaluation.remainingMs !== undefined) finding.remainingMs = evaluation.remainingMs;
  if (decision.renewAt) finding.renewAt = decision.renewAt;
  if (status.state === 'revoked' || status.state === 'missing') {
    // Consumers hold a value GitLab refuses: as urgent as an expired one.
    finding.status = 'expired';
    finding.reason =
      status.state === 'revoked' ? LIVE_REASONS.RevokedAtSource : LIVE_REASONS.MissingAtSource;
  }
  return [finding, ...scheduleFindings];
}

function storeConnection(spec: StoreSpec): ConnectionRef {
  return { type: spec.type === 'aws-secrets-manager' ? 'aws' : 'gcp', name: spec.connection };
}

/** The store's own schedule or expiry, as windows; none when the secret does not exist. */
function storeWindows(spec: StoreSpec, metadata: unknown): ExpiryWindow[] {
  if (metadata === undefined) return [];
  return spec.type === 'aws-secrets-manager'
    ? [readAwsRotation(metadata)]
    : readGcpSecret(metadata);
}

/**
 * The stores' view, one phrase each: the value it holds (by fingerprint, and whether it
 * is the primary's), an interrupted rotation, and its own schedule when it has none.
 */
function describeStores(
  target: RotationTarget,
  states: StoreState[],
  metadata: ExpiryWindow[][],
): string[] {
  const primary = states[0]?.current?.value;
  return states.map((state, i) => {
    const label = target.stores[i]!.label;
    const parts: string[] = [];
    if (!state.exists) parts.push('no secret yet');
    else if (!state.current) parts.push('no current value');
    else {
      const held = fingerprint(state.current.value.token);
      const same = primary !== undefined && held === fingerprint(primary.token);
      parts.push(
        i === 0
          ? `current sha256:${held}`
          : same
            ? 'same current value'
            : `current sha256:${held}, NOT the primary store's value (a consumer reading it gets another value)`,
      );
    }
    if (state.pending)
      parts.push(
        `rotation ${state.pending.value.rotationId.slice(0, 8)} interrupted after stage (the next 'credrot rotate' finishes it)`,
      );
    if (state.exists && metadata[i]!.every((window) => window.notAfter === undefined))
      parts.push('no schedule or expiry of its own');
    return `${label}: ${parts.join(', ')}`;
  });
}

/** A store's own rotation schedule (AWS) or expiry / next rotation (GCP), evaluated. */
function storeFinding(
  credential: ResolvedCredential,
  label: string,
  window: ExpiryWindow,
  options: CredentialScanOptions,
): Finding {
  const evaluation = evaluate(window, options.now, options.thresholds);
  const finding: Finding = {
    name: credential.name,
    kind: window.kind,
    location: window.locator ? `${label}#${window.locator}` : label,
    subject: window.subject,
    status: evaluation.status,
    due: evaluation.due,
    reason: evaluation.reason,
    fingerprint: '-',
    note: [describeEvaluation(window, evaluation, options.now), window.detail]
      .filter((part) => part !== undefined)
      .join('; '),
  };
  if (window.notBefore) finding.notBefore = window.notBefore;
  if (window.notAfter) finding.notAfter = window.notAfter;
  if (evaluation.remainingMs !== undefined) finding.remainingMs = evaluation.remainingMs;
  if (evaluation.renewAt) finding.renewAt = evaluation.renewAt;
  return finding;
}

function failed(
  credential: ResolvedCredential,
  error: string,
  options: CredentialScanOptions,
): Finding {
  return {
    name: credential.name,
    kind: credential.kind,
    location: sourceLocation(credential, options.connections),
    subject: tokenName(credential),
    status: 'unknown',
    due: false,
    reason: REASONS.Unreadable,
    fingerprint: '-',
    error,
  };
}
