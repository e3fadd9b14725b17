/**
 * Is a rotation due? A pure function shared by `rotate` and `plan`, so the plan shows
 * exactly what a rotation would do.
 */
import { evaluate } from '../expiry/policy.js';
import type { SourceStatus, StoredCredential } from './types.js';

export interface DueDecision {
  due: boolean;
  /** Plain-English reason, for output. */
  why: string;
  /** When the current value becomes due (absent when there is none). */
  renewAt?: Date;
}

export interface DecideInput {
  current: StoredCredential | undefined;
  /** What the source says about the current value (absent when there is none). */
  status: SourceStatus | undefined;
  now: Date;
  /** ms before expiry; default one third of the lifetime. */
  renewBeforeMs?: number;
  force?: boolean;
  leak?: boolean;
}

export function decideDue(input: DecideInput): DueDecision {
  const { current, status, now } = input;
  if (!current) return { due: true, why: 'no stored value yet: the first rotation mints one' };
  if (input.leak) return { due: true, why: 'the value leaked: rotate and retire it at once' };
  if (status && status.state !== 'active')
    return { due: true, why: `the stored value is ${status.state} at the source` };
  const evaluation = evaluate(
    {
      notBefore: new Date(current.mintedAt),
      notAfter: new Date(status?.expiresAt ?? current.expiresAt),
    },
    now,
    { warningMs: 0, criticalMs: 0 },
    input.renewBeforeMs,
  );
  const renewAt = evaluation.renewAt;
  const at = renewAt ? { renewAt } : {};
  if (input.force) return { due: true, why: 'forced', ...at };
  if (evaluation.due) {
    const basis =
      evaluation.renewalBasis === 'renewBefore'
        ? 'renewBefore reached'
        : 'in the last third of its lifetime';
    return { due: true, why: `${basis} (expires ${current.expiresAt.slice(0, 10)})`, ...at };
  }
  return {
    due: false,
    why: `not due until ${renewAt?.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    ...at,
  };
}
