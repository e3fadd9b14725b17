/**
 * A consumer whose Docker config holds several registries, of which credrot owns one:
 * the sink option `merge: true`. Each push reads the value the consumer holds, replaces
 * only credrot's registry entry and writes the document back, so entries credrot does
 * not own (other registries, `credHelpers`) survive every rotation.
 *
 * The sink's "value", for the engine's read-back check, is credrot's part of the
 * document (`projectDockerConfig`): the read-back equals the rendered value exactly when
 * the consumer holds credrot's current entry. Merging needs a readable value; a sink
 * whose API never returns values (GitHub secrets, hidden GitLab variables) is refused in
 * configuration validation, and again here if it slips through.
 *
 * A concurrent writer between our read and our write can lose its change (GitLab
 * variables and GitHub secrets have no compare-and-swap); the next rotation's read-back
 * would show credrot's entry intact either way.
 */
import { ValidationError } from '../errors.js';
import type { CredentialSink, PushOutcome, RenderContext } from '../rotation/types.js';
import { mergeDockerConfig, projectDockerConfig, registriesOf } from './docker-config.js';

export class MergingDockerConfigSink implements CredentialSink {
  readonly label: string;

  /** `registry`: the `auths` key credrot owns in the consumer's document (`host[:port]`). */
  constructor(
    private readonly inner: CredentialSink,
    private readonly registry: string,
  ) {
    this.label = `${inner.label} (credrot's entry for ${registry} merged in)`;
  }

  render(ctx: RenderContext): string {
    return this.inner.render(ctx);
  }

  /** Refuses a rendered value that is not a Docker config holding exactly credrot's registry. */
  validate(rendered: string): void {
    const names = registriesOf(rendered);
    if (names.length !== 1 || names[0] !== this.registry) {
      throw new ValidationError(
        `${this.label}: with merge: true the value must be a Docker config for ${this.registry} only: use value: '{{dockerAuthConfig}}' or '{{dockerConfigJson}}'`,
      );
    }
    this.inner.validate(rendered);
  }

  async push(rendered: string): Promise<PushOutcome> {
    this.validate(rendered);
    const current = await this.inner.readBack();
    if (current === 'unreadable') {
      throw new ValidationError(
        `${this.inner.label}: merge: true needs to read the value the consumer holds, and this consumer's API never returns it; set merge: false (credrot then owns the whole value) or use a readable consumer`,
      );
    }
    const merged = mergeDockerConfig(current, rendered);
    this.inner.validate(merged);
    return this.inner.push(merged);
  }

  /** credrot's part of the consumer's document: equals the rendered value when it is current. */
  async readBack(): Promise<string | 'unreadable' | undefined> {
    const back = await this.inner.readBack();
    if (back === undefined || back === 'unreadable') return back;
    return projectDockerConfig(back, [this.registry]);
  }
}
