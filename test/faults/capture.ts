/**
 * Secret hygiene: everything a fault file's run prints or answers, captured so it can be
 * scanned for every secret value minted in that run (and its base64 forms, via
 * `leakedSecrets`). Captured: every console call and every write to stdout/stderr in the
 * worker (credrot's logs, Powertools' JSON lines), what tests add explicitly (CLI output,
 * child-process output, rotation outcomes, error messages, webhook answers), and the body of
 * every HTTP answer a loopback server in the worker sends with a status ≥ 300 or under
 * `/webhooks/` (credrot's own webhook answers, and every error body an emulator hands to
 * credrot, which is where a leaked value would come from). Successful emulator answers
 * are left out on purpose: minting a token or reading a secret returns it by design.
 */
import { ServerResponse } from 'node:http';
import { format } from 'node:util';
import { leakedSecrets } from '../support/invariants.js';

type Write = typeof process.stdout.write;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

export class Capture {
  private readonly texts: string[] = [];
  private readonly restores: Array<() => void> = [];

  /** Adds a text to scan (CLI output, an outcome, an error message, an answer body). */
  add(...texts: Array<string | undefined>): void {
    for (const t of texts) if (t) this.texts.push(t);
  }

  get count(): number {
    return this.texts.length;
  }

  /** Starts capturing console, stdout/stderr and HTTP answers; `uninstall` undoes it. */
  install(): this {
    for (const method of CONSOLE_METHODS) {
      const original = console[method];
      console[method] = (...args: unknown[]) => {
        this.texts.push(format(...args));
        original.apply(console, args);
      };
      this.restores.push(() => {
        console[method] = original;
      });
    }
    for (const stream of [process.stdout, process.stderr]) {
      const original: Write = stream.write;
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        this.texts.push(
          typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString(),
        );
        return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      }) as Write;
      this.restores.push(() => {
        stream.write = original;
      });
    }
    this.captureAnswers();
    return this;
  }

  private captureAnswers(): void {
    const proto = ServerResponse.prototype;
    const { write, end } = proto;
    const bodies = new WeakMap<ServerResponse, Buffer[]>();
    const keep = (res: ServerResponse, chunk: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const list = bodies.get(res) ?? [];
      list.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
      bodies.set(res, list);
    };
    const texts = this.texts;
    proto.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
      keep(this, chunk);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof write;
    proto.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
      keep(this, chunk);
      const path = this.req?.url ?? '';
      if (this.statusCode >= 300 || path.startsWith('/webhooks/'))
        texts.push(Buffer.concat(bodies.get(this) ?? []).toString('utf8'));
      bodies.delete(this);
      return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as typeof end;
    this.restores.push(() => {
      proto.write = write;
      proto.end = end;
    });
  }

  uninstall(): void {
    for (const restore of this.restores.splice(0).reverse()) restore();
  }

  /**
   * Scans every captured text for `values` (as they are and base64-encoded); answers how
   * many distinct values were checked and the fingerprints of those found.
   */
  scan(values: readonly string[]): { values: number; texts: number; hits: string[] } {
    const distinct = [...new Set(values)].filter((v) => v.length >= 8);
    return {
      values: distinct.length,
      texts: this.texts.length,
      hits: leakedSecrets(this.texts, distinct),
    };
  }
}
