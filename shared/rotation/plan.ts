/**
 * `credrot plan`: what a rotation would do, per step and per consumer, with no side
 * effect. Reads the stores and asks the source about the current value; writes nothing.
 */
import { fingerprint } from '../util/fingerprint.js';
import { decideDue } from './decide.js';
import { type RotationTarget, renderContext, safeMessage } from './engine.js';
import { formatSpan } from './span.js';
import type { StoreState } from './types.js';

export type PlannedAction = 'rotate' | 'resume' | 'retire-previous' | 'nothing' | 'blocked';

export interface PlanEntry {
  credential: string;
  kind: string;
  action: PlannedAction;
  why: string;
  /** Fingerprint and expiry of the value consumers hold now. */
  current?: { fingerprint: string; expiresAt: string; sourceId: number };
  renewAt?: string;
  /** One line per step that would run. */
  steps: string[];
  /** Why the rotation would fail before changing anything. */
  problems: string[];
}

export interface PlanOptions {
  now: Date;
  force?: boolean;
  leak?: boolean;
}

export async function planTarget(target: RotationTarget, options: PlanOptions): Promise<PlanEntry> {
  const entry: PlanEntry = {
    credential: target.name,
    kind: target.source.kind,
    action: 'nothing',
    why: '',
    steps: [],
    problems: [],
  };
  let states: StoreState[];
  try {
    states = await Promise.all(target.stores.map((s) => s.read()));
  } catch (err) {
    return {
      ...entry,
      action: 'blocked',
      why: 'cannot read a store',
      problems: [safeMessage(err)],
    };
  }
  const primary = states[0]!;
  const current = primary.current?.value;
  if (current)
    entry.current = {
      fingerprint: fingerprint(current.token),
      expiresAt: current.expiresAt,
      sourceId: current.sourceId,
    };

  const pending = states.map((s) => s.pending).find((p) => p !== undefined);
  if (pending) {
    entry.action = 'resume';
    entry.why = `rotation ${pending.value.rotationId.slice(0, 8)} was interrupted after stage; the next run finishes it`;
    entry.steps = afterStage(target, pending.value.sourceId);
    return entry;
  }

  let status: Awaited<ReturnType<typeof target.source.status>> | undefined;
  try {
    status = current && !options.leak ? await target.source.status(current) : undefined;
  } catch (err) {
    return {
      ...entry,
      action: 'blocked',
      why: 'cannot ask the source about the current value',
      problems: [safeMessage(err)],
    };
  }
  const decision = decideDue({
    current,
    status,
    now: options.now,
    ...(target.policy.renewBeforeMs !== undefined
      ? { renewBeforeMs: target.policy.renewBeforeMs }
      : {}),
    ...(options.force ? { force: true } : {}),
    ...(options.leak ? { leak: true } : {}),
  });
  entry.why = decision.why;
  if (decision.renewAt) entry.renewAt = decision.renewAt.toISOString();

  if (!decision.due) {
    const grace = (primary.promotedAt?.getTime() ?? 0) + target.policy.gracePeriodMs;
    if (primary.previous && !primary.previousRetired && options.now.getTime() >= grace) {
      entry.action = 'retire-previous';
      entry.steps = [
        `retire: revoke the replaced value (id ${primary.previous.value.sourceId}); its grace period is over`,
      ];
    }
    return entry;
  }

  if (current) {
    for (const sink of target.sinks) {
      try {
        sink.validate(sink.render(renderContext(current, target.registry)));
      } catch (err) {
        entry.problems.push(`${sink.label}: ${safeMessage(err)}`);
      }
    }
  }
  entry.action = entry.problems.length > 0 ? 'blocked' : 'rotate';
  const lifetimeDays = Math.round(target.policy.lifetimeMs / 86_400_000);
  entry.steps = [
    'lease: take the per-credential lease in the primary store',
    'recover: revoke any credential an interrupted run minted but never stored',
    `mint: new ${target.source.kind} valid ${lifetimeDays} days`,
    `stage: write it as pending to ${target.stores.map((s) => s.label).join(', ')}`,
    ...afterStage(target, current?.sourceId),
  ];
  if (options.leak && current)
    entry.steps[entry.steps.length - 1] =
      `retire: revoke the leaked value (id ${current.sourceId}) at once`;
  return entry;
}

function afterStage(target: RotationTarget, replacedId: number | undefined): string[] {
  return [
    'verify: authenticate to the source with the new value before any consumer gets it',
    ...target.sinks.map((s) => `distribute: push to ${s.label}`),
    'promote: pending becomes current, current becomes previous',
    replacedId === undefined
      ? 'retire: nothing to retire'
      : `retire: revoke the replaced value (id ${replacedId}) after its grace period (${formatSpan(target.policy.gracePeriodMs)})`,
  ];
}
