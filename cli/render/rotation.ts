/** Human output for rotation outcomes and plans. Fingerprints only, never values. */
import type { RotationOutcome } from '../../shared/rotation/engine.js';
import type { PlanEntry } from '../../shared/rotation/plan.js';
import { table } from './table.js';

const RESULT_TEXT: Record<RotationOutcome['result'], string> = {
  rotated: 'rotated',
  resumed: 'rotated (resumed an interrupted run)',
  'not-due': 'not due',
  'retired-previous': 'retired the replaced value',
  'in-progress': 'in progress elsewhere',
  'rolled-back': 'ROLLED BACK',
  failed: 'FAILED',
};

export function renderOutcomes(outcomes: RotationOutcome[]): string {
  const rows = outcomes.map((o) => {
    const done = o.steps
      .filter((s) => s.status === 'done' && s.step !== 'lease' && s.step !== 'recover')
      .map((s) => s.step);
    const change =
      o.previousFingerprint &&
      o.currentFingerprint &&
      o.previousFingerprint !== o.currentFingerprint
        ? `${o.previousFingerprint} -> ${o.currentFingerprint}`
        : (o.currentFingerprint ?? o.previousFingerprint ?? '-');
    const note =
      o.error ??
      o.steps.find((s) => s.step === 'retire' && s.status === 'skipped')?.detail ??
      o.steps.find((s) => s.step === 'mint' && s.status === 'skipped')?.detail ??
      '';
    return [
      o.credential,
      RESULT_TEXT[o.result],
      done.join(' ') || '-',
      change,
      o.expiresAt?.slice(0, 10) ?? '-',
      note,
    ];
  });
  const failed = outcomes.filter((o) => o.result === 'failed' || o.result === 'rolled-back').length;
  const summary = `\n${outcomes.length} credential(s): ${outcomes.filter((o) => o.result === 'rotated' || o.result === 'resumed').length} rotated, ${failed} failed.\n`;
  // What verify proved, where the source says (registry credentials: the hops and statuses).
  const proofs = outcomes.flatMap((o) => {
    const detail = o.steps.find((s) => s.step === 'verify' && s.status === 'done')?.detail;
    return detail ? [`  ${o.credential}: ${detail}\n`] : [];
  });
  return (
    table(
      ['CREDENTIAL', 'RESULT', 'STEPS DONE', 'FINGERPRINT (old -> new)', 'EXPIRES', 'NOTE'],
      rows,
    ) +
    summary +
    proofs.join('')
  );
}

export function renderPlan(entries: PlanEntry[]): string {
  const out: string[] = [];
  for (const e of entries) {
    const current = e.current
      ? `current ${e.current.fingerprint}, expires ${e.current.expiresAt.slice(0, 10)}`
      : 'no stored value';
    out.push(`${e.credential} (${e.kind}): ${e.action.toUpperCase()} — ${e.why}`);
    out.push(`  ${current}`);
    for (const p of e.problems) out.push(`  ! ${p}`);
    for (const s of e.steps) out.push(`  - ${s}`);
    out.push('');
  }
  const due = entries.filter((e) => e.action === 'rotate' || e.action === 'resume').length;
  out.push(
    `${entries.length} credential(s): ${due} would rotate, ${entries.filter((e) => e.action === 'blocked').length} blocked. Nothing was changed.`,
  );
  return `${out.join('\n')}\n`;
}
