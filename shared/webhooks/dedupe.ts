/**
 * Delivery de-duplication. GitLab and GitHub redeliver an event with the same ids after a
 * timeout, a 5xx or a manual "resend", and two hooks (project and group) can carry one
 * event: the first delivery acts, the others answer "duplicate".
 *
 * `MemoryDedupeStore` remembers keys per function instance for a bounded time. It is the
 * fast layer; the durable layer across instances is the queue: SQS FIFO drops a second
 * message with the same MessageDeduplicationId within five minutes. Pub/Sub (GCP) has no
 * such layer; there a duplicate job that slips through runs a rotation that finds the
 * credential not due, or the lease held, and changes nothing.
 */

export interface DedupeStore {
  /**
   * Claims every key for `ttlMs` from `now` and answers true, or answers false (claiming
   * nothing) when any key is already claimed and not expired. Atomic within one instance.
   */
  claim(keys: readonly string[], ttlMs: number, now: Date): Promise<boolean>;
  /** Releases keys claimed by a delivery that then failed, so its redelivery can act. */
  release(keys: readonly string[]): Promise<void>;
}

export class MemoryDedupeStore implements DedupeStore {
  private readonly until = new Map<string, number>();

  /** @param maxKeys oldest keys are evicted beyond this many (bounded memory per instance). */
  constructor(private readonly maxKeys = 10_000) {}

  async claim(keys: readonly string[], ttlMs: number, now: Date): Promise<boolean> {
    const t = now.getTime();
    if (keys.some((k) => (this.until.get(k) ?? 0) > t)) return false;
    for (const k of keys) {
      this.until.delete(k);
      this.until.set(k, t + ttlMs);
    }
    while (this.until.size > this.maxKeys) {
      const oldest = this.until.keys().next().value;
      if (oldest === undefined) break;
      this.until.delete(oldest);
    }
    return true;
  }

  async release(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.until.delete(k);
  }
}
