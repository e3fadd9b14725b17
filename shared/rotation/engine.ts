/**
 * The rotation protocol (DESIGN.md): lease, recover, mint, stage, verify, distribute,
 * promote, retire. Every step is idempotent and resumable from the stores' state alone,
 * so a run that dies anywhere is finished (or rolled back) by the next run.
 *
 * Order, and why it differs slightly from the handbook's list: the new value is proven
 * at the source (verify) *before* any consumer receives it, so no consumer is ever handed
 * a value that does not work; each sink is then read back where its API allows as part
 * of distribute. The old value stays valid until promote has succeeded everywhere and its
 * grace period has passed, so at every instant every consumer holds a working credential.
 */
import { randomUUID } from 'node:crypto';
import { CredrotError, LeaseHeldError, VerificationError } from '../errors.js';
import { fingerprint } from '../util/fingerprint.js';
import { type DecideInput, decideDue } from './decide.js';
import { formatSpan } from './span.js';
import type {
  CredentialSink,
  CredentialSource,
  Lease,
  SecretStore,
  StepName,
  StoredCredential,
  StoreState,
} from './types.js';

export interface RotationPolicy {
  /** Lifetime of a new credential, in ms. */
  lifetimeMs: number;
  /** Rotate when less than this remains (ms); default one third of the lifetime. */
  renewBeforeMs?: number;
  /** How long the replaced value stays valid after promotion, in ms. */
  gracePeriodMs: number;
}

export interface RotationTarget {
  name: string;
  source: CredentialSource;
  /** The first store is the primary: it holds the lease. */
  stores: SecretStore[];
  sinks: CredentialSink[];
  policy: RotationPolicy;
  /** Extra template variables (e.g. the registry host) for this credential's sinks. */
  registry?: string;
}

export type Trigger =
  | 'schedule'
  | 'webhook'
  | 'cli'
  | 'comment'
  | 'leak-alert'
  | 'aws-rotation'
  | 'gcp-rotation';

export interface RotateOptions {
  trigger: Trigger;
  /** Rotate even when not due. */
  force?: boolean;
  /** A leaked value is retired at once, with no grace period. */
  reason?: 'leak' | 'expiry' | 'manual';
  /** Identifies this run in the lease: host, process, random. */
  holder: string;
  leaseTtlMs?: number;
  now: () => Date;
  /** Progress for live output; never receives a secret. */
  onStep?: (event: StepEvent) => void;
  /**
   * Called at every step boundary. Fault-injection tests throw or kill the process here
   * to prove that a run dying at that point is recovered.
   */
  boundary?: (step: StepName, phase: 'before' | 'after') => void | Promise<void>;
}

export interface StepEvent {
  credential: string;
  step: StepName;
  status: 'started' | 'done' | 'skipped' | 'failed';
  detail?: string;
}

export type RotationResult =
  | 'rotated'
  | 'resumed'
  | 'not-due'
  | 'retired-previous'
  | 'in-progress'
  | 'rolled-back'
  | 'failed';

export interface StepRecord {
  step: StepName;
  status: 'done' | 'skipped' | 'failed';
  detail?: string;
  durationMs: number;
}

export interface RotationOutcome {
  credential: string;
  result: RotationResult;
  steps: StepRecord[];
  /** Fingerprints only, never values. */
  previousFingerprint?: string;
  currentFingerprint?: string;
  expiresAt?: string;
  /** Safe message (no secret) when result is failed or rolled-back. */
  error?: string;
  errorName?: string;
}

const DEFAULT_LEASE_TTL_MS = 10 * 60_000;

/** Runs the protocol for one credential; never throws for an expected outcome. */
export async function rotate(
  target: RotationTarget,
  options: RotateOptions,
): Promise<RotationOutcome> {
  const run = new Run(target, options);
  return run.execute();
}

class Run {
  private readonly steps: StepRecord[] = [];
  private readonly outcome: RotationOutcome;

  constructor(
    private readonly target: RotationTarget,
    private readonly options: RotateOptions,
  ) {
    this.outcome = { credential: target.name, result: 'failed', steps: this.steps };
  }

  private get primary(): SecretStore {
    const store = this.target.stores[0];
    if (!store) throw new CredrotError(`credential ${this.target.name} has no store`);
    return store;
  }

  async execute(): Promise<RotationOutcome> {
    let lease: Lease | undefined;
    try {
      lease = await this.step('lease', () =>
        this.primary.acquireLease(
          this.options.holder,
          this.options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
          this.options.now(),
        ),
      );
    } catch (err) {
      if (err instanceof LeaseHeldError) {
        this.outcome.result = 'in-progress';
        this.outcome.error = err.message;
        return this.outcome;
      }
      return this.fail(err);
    }
    try {
      await this.protocol();
    } catch (err) {
      this.fail(err);
    } finally {
      await this.primary.releaseLease(lease).catch(() => {
        // A lease we cannot release expires on its own; the outcome stands.
      });
    }
    return this.outcome;
  }

  private fail(err: unknown): RotationOutcome {
    if (this.outcome.result !== 'rolled-back') this.outcome.result = 'failed';
    this.outcome.error = safeMessage(err);
    this.outcome.errorName = err instanceof Error ? err.name : 'Error';
    return this.outcome;
  }

  private async protocol(): Promise<void> {
    const { target, options } = this;
    const states = await Promise.all(target.stores.map((s) => s.read()));
    const primaryState = states[0]!;

    await this.step('recover', () => this.recoverOrphans(states));

    // A run that died after stage left a pending value: finish that rotation first.
    const pending = states.map((s) => s.pending).find((p) => p !== undefined);
    let value: StoredCredential | undefined;
    let resumed = false;
    if (pending) {
      const status = await target.source.status(pending.value);
      if (status.state === 'active') {
        value = pending.value;
        resumed = true;
      } else {
        await this.discard(pending.value.rotationId);
      }
    }

    const current = primaryState.current?.value;
    if (current) this.outcome.previousFingerprint = fingerprint(current.token);

    if (!value) {
      const decision = await this.decide(current);
      if (!decision.due) {
        const retired = await this.retireIfGraceOver(primaryState);
        this.outcome.result = retired ? 'retired-previous' : 'not-due';
        this.outcome.currentFingerprint = this.outcome.previousFingerprint;
        this.outcome.expiresAt = current?.expiresAt;
        this.skip('mint', decision.why);
        return;
      }
      // A value the sinks cannot hold is refused before anything changes.
      this.validateSinks(current);
      const rotationId = randomUUID();
      value = await this.step('mint', () =>
        target.source.mint({
          rotationId,
          ...(current ? { current } : {}),
          expiresOn: expiryDate(options.now(), target.policy.lifetimeMs),
          now: options.now(),
        }),
      );
      const minted = value;
      await this.step('stage', async () => {
        try {
          for (const store of target.stores) await store.stage(minted);
        } catch (err) {
          // Not stored anywhere durable: revoke it now rather than lose it.
          await target.source.revoke(minted).catch(() => {});
          await this.discard(minted.rotationId).catch(() => {});
          throw err;
        }
      });
    } else {
      const staged = value;
      this.skip('mint', `resuming rotation ${staged.rotationId.slice(0, 8)}`);
      await this.step('stage', async () => {
        for (const store of target.stores) await store.stage(staged);
      });
    }

    const fresh = value;
    this.outcome.currentFingerprint = fingerprint(fresh.token);
    this.outcome.expiresAt = fresh.expiresAt;
    try {
      await this.step('verify', () => target.source.verify(fresh));
    } catch (err) {
      // A transient failure leaves the pending value for the next run to verify again;
      // only a value proven not to work is rolled back (no consumer has it yet).
      if (!(err instanceof VerificationError)) throw err;
      await target.source.revoke(fresh).catch(() => {});
      await this.discard(fresh.rotationId).catch(() => {});
      this.outcome.result = 'rolled-back';
      this.outcome.currentFingerprint = this.outcome.previousFingerprint;
      throw err;
    }
    await this.step('distribute', () => this.distribute(fresh));
    await this.step('promote', async () => {
      for (const store of target.stores) await store.promote(fresh.rotationId, options.now());
    });

    const leak = options.reason === 'leak';
    // A run that died during promote left the primary promoted already: its current is the
    // fresh value and the value it replaced is its previous (found by the fault matrix:
    // SIGKILL during the GCP promote left the old token valid after a zero grace period).
    const replaced =
      current && current.rotationId !== fresh.rotationId
        ? current
        : current && !primaryState.previousRetired
          ? primaryState.previous?.value
          : undefined;
    if (replaced && (leak || target.policy.gracePeriodMs === 0)) {
      await this.step('retire', async () => {
        await target.source.revoke(replaced);
        for (const store of target.stores) await store.markPreviousRetired(fresh.rotationId);
      });
    } else {
      this.skip(
        'retire',
        replaced
          ? `old value retired after its grace period (${formatSpan(target.policy.gracePeriodMs)})`
          : 'nothing to retire',
      );
    }
    this.outcome.result = resumed ? 'resumed' : 'rotated';
  }

  /** Is a rotation due? Expired, revoked or missing values always are. */
  private async decide(
    current: StoredCredential | undefined,
  ): Promise<{ due: boolean; why: string }> {
    const { options, target } = this;
    const status =
      current && options.reason !== 'leak' ? await target.source.status(current) : undefined;
    const input: DecideInput = { current, status, now: options.now() };
    if (target.policy.renewBeforeMs !== undefined)
      input.renewBeforeMs = target.policy.renewBeforeMs;
    if (options.force) input.force = true;
    if (options.reason === 'leak') input.leak = true;
    return decideDue(input);
  }

  private validateSinks(sample: StoredCredential | undefined): void {
    if (!sample) return;
    for (const sink of this.target.sinks)
      sink.validate(sink.render(renderContext(sample, this.target.registry)));
  }

  /** Pushes to every sink; each push is attempted even if another fails. */
  private async distribute(value: StoredCredential): Promise<string> {
    const ctx = renderContext(value, this.target.registry);
    const rendered = this.target.sinks.map((sink) => {
      const text = sink.render(ctx);
      sink.validate(text);
      return text;
    });
    const results = await Promise.allSettled(
      this.target.sinks.map(async (sink, i) => {
        const text = rendered[i]!;
        const pushed = await sink.push(text);
        const back = await sink.readBack();
        if (back !== 'unreadable' && back !== text) {
          throw new VerificationError(`${sink.label} does not hold the new value after writing it`);
        }
        return pushed;
      }),
    );
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${this.target.sinks[i]!.label}: ${safeMessage(r.reason)}`] : [],
    );
    if (failed.length > 0) {
      throw new CredrotError(
        `could not update ${failed.length} of ${results.length} consumers; every consumer still holds a working value and the next run retries: ${failed.join('; ')}`,
      );
    }
    const written = results.filter((r) => r.status === 'fulfilled' && r.value === 'written').length;
    return `${written} written, ${results.length - written} already current`;
  }

  /** Revokes credentials this credential minted that no store references. */
  private async recoverOrphans(states: StoreState[]): Promise<string> {
    const known = new Set<number>();
    for (const s of states) {
      for (const v of [s.current, s.pending, s.previous]) if (v) known.add(v.value.sourceId);
    }
    const minted = await this.target.source.findMinted();
    const orphans = minted.filter((o) => !known.has(o.sourceId));
    for (const orphan of orphans) await this.target.source.revokeOrphan(orphan);
    return orphans.length === 0
      ? 'no orphans'
      : `revoked ${orphans.length} orphaned credential(s): ids ${orphans.map((o) => o.sourceId).join(', ')}`;
  }

  private async retireIfGraceOver(state: StoreState): Promise<boolean> {
    const previous = state.previous?.value;
    if (!previous || state.previousRetired || !state.current) return false;
    const since = state.promotedAt?.getTime() ?? 0;
    if (this.options.now().getTime() < since + this.target.policy.gracePeriodMs) return false;
    const currentId = state.current.value.rotationId;
    await this.step('retire', async () => {
      await this.target.source.revoke(previous);
      for (const store of this.target.stores) await store.markPreviousRetired(currentId);
    });
    return true;
  }

  private async discard(rotationId: string): Promise<void> {
    for (const store of this.target.stores) await store.discardPending(rotationId);
  }

  private skip(step: StepName, detail: string): void {
    this.steps.push({ step, status: 'skipped', detail, durationMs: 0 });
    this.options.onStep?.({ credential: this.target.name, step, status: 'skipped', detail });
  }

  private async step<T>(step: StepName, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.options.onStep?.({ credential: this.target.name, step, status: 'started' });
    try {
      await this.options.boundary?.(step, 'before');
      const result = await work();
      await this.options.boundary?.(step, 'after');
      const detail = typeof result === 'string' ? result : undefined;
      this.steps.push({
        step,
        status: 'done',
        ...(detail ? { detail } : {}),
        durationMs: Date.now() - started,
      });
      this.options.onStep?.({
        credential: this.target.name,
        step,
        status: 'done',
        ...(detail ? { detail } : {}),
      });
      return result;
    } catch (err) {
      const detail = safeMessage(err);
      this.steps.push({ step, status: 'failed', detail, durationMs: Date.now() - started });
      this.options.onStep?.({ credential: this.target.name, step, status: 'failed', detail });
      throw err;
    }
  }
}

export function renderContext(value: StoredCredential, registry?: string) {
  return {
    token: value.token,
    ...(value.username ? { username: value.username } : {}),
    ...(registry ? { registry } : {}),
  };
}

/** The YYYY-MM-DD a credential minted at `now` with `lifetimeMs` should expire on. */
export function expiryDate(now: Date, lifetimeMs: number): string {
  return new Date(now.getTime() + lifetimeMs).toISOString().slice(0, 10);
}

/** Error text safe to show: our errors never hold secrets; anything else is reduced to its name. */
export function safeMessage(err: unknown): string {
  if (err instanceof CredrotError) return err.message;
  if (err instanceof Error)
    return `${err.name} (details withheld: it did not come from credrot's own error types)`;
  return 'unknown error';
}
