/**
 * Fault and latency plans shared by every emulator. A test aims a fault at one
 * operation (an emulator's own name for a call, e.g. `gitlab.createProjectToken`,
 * `aws.PutSecretValue`) or a path pattern, on the nth matching call or with a
 * probability, and the emulator applies it before or after doing the work.
 */

export type FaultAction =
  /** Answer this status instead of doing the work (nothing changes). */
  | { type: 'status'; status: 429 | 500 | 502 | 503 | number; retryAfterSeconds?: number }
  /** Never answer; the client's own timeout fires. The connection is dropped after `ms`. */
  | { type: 'hang'; ms?: number }
  /** Do the work and commit it, then drop the connection before the answer is sent. */
  | { type: 'crash-after-commit' };

export interface FaultRule {
  /** Exact operation name, or a regular expression source matched against it. */
  operation?: string;
  /** Regular expression source matched against `METHOD /path`. */
  path?: string;
  /** Fire on the nth matching call only (1-based). */
  nth?: number;
  /** Fire with this probability on each matching call (0..1). */
  probability?: number;
  /** Fire at most this many times (default: once for `nth`, unlimited otherwise). */
  times?: number;
  action: FaultAction;
}

export type Latency = number | { minMs: number; maxMs: number };

export interface FaultPlan {
  rules?: FaultRule[];
  latency?: Latency;
  /** Seed for probability rules and latency distributions, so a run can be replayed. */
  seed?: number;
}

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

/** A small deterministic PRNG (mulberry32) so faults replay from a seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function matches(pattern: string | undefined, subject: string): boolean {
  if (pattern === undefined) return true;
  if (pattern === subject) return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(subject);
  } catch {
    return false;
  }
}

export interface FiredFault {
  operation: string;
  request: string;
  action: FaultAction;
  at: Date;
}

/** Holds one emulator's plan; changed at run time by tests or the admin endpoint. */
export class FaultController {
  private states: RuleState[] = [];
  private latency: Latency = 0;
  private random: () => number = mulberry32(1);
  /** Every fault that fired, in order; tests assert on it. */
  readonly fired: FiredFault[] = [];

  constructor(plan: FaultPlan = {}) {
    this.setPlan(plan);
  }

  setPlan(plan: FaultPlan): void {
    this.states = (plan.rules ?? []).map((rule) => ({ rule, seen: 0, fired: 0 }));
    this.latency = plan.latency ?? 0;
    this.random = mulberry32(plan.seed ?? 1);
  }

  addRule(rule: FaultRule): void {
    this.states.push({ rule, seen: 0, fired: 0 });
  }

  clear(): void {
    this.setPlan({});
  }

  plan(): FaultPlan {
    return { rules: this.states.map((s) => s.rule), latency: this.latency };
  }

  /** Milliseconds to delay this call. */
  delayMs(): number {
    const l = this.latency;
    if (typeof l === 'number') return l;
    return l.minMs + this.random() * (l.maxMs - l.minMs);
  }

  /** The fault to apply to this call, if any. Counts the call against every matching rule. */
  next(operation: string, request: string): FaultAction | undefined {
    let chosen: FaultAction | undefined;
    for (const s of this.states) {
      const { rule } = s;
      if (!matches(rule.operation, operation)) continue;
      if (rule.path !== undefined && !matches(rule.path, request)) continue;
      s.seen += 1;
      // Later rules still count the call (so `nth` means the nth matching call), but only one fires.
      if (chosen) continue;
      const limit = rule.times ?? (rule.nth !== undefined ? 1 : Number.POSITIVE_INFINITY);
      if (s.fired >= limit) continue;
      if (rule.nth !== undefined && s.seen < rule.nth) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      s.fired += 1;
      this.fired.push({ operation, request, action: rule.action, at: new Date() });
      chosen = rule.action;
    }
    return chosen;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
