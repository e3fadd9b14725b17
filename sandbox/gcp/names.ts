/**
 * Resource names of Secret Manager: `projects/{project}/secrets/{secret}` and
 * `.../versions/{version}` (a number, `latest`, or an alias). The real service answers
 * with the project *number* even when called with the project id; `ProjectNumbers`
 * lets the emulator do the same, and accepts either form on input.
 *
 * https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets
 */
import { invalidArgument } from './errors.js';

/** Project id → project number, e.g. `{ 'my-project': '123456789012' }`. */
export type ProjectNumbers = Record<string, string>;

const SECRET_ID = /^[a-zA-Z0-9_-]{1,255}$/;
const PROJECT = /^[a-z0-9][a-z0-9.:-]{0,62}$/;

export const badFormat = (name: string) =>
  invalidArgument(`Resource ID [${name}] is not in a valid format.`);

export class Names {
  constructor(private readonly numbers: ProjectNumbers = {}) {}

  /** The project segment the service answers with: the number when one is known. */
  project(segment: string): string {
    return this.numbers[segment] ?? segment;
  }

  /** Parses `projects/{p}` into the canonical project. */
  parent(parent: string): string {
    const m = /^projects\/([^/]+)$/.exec(parent);
    if (!m || !PROJECT.test(m[1]!)) throw badFormat(parent);
    return this.project(m[1]!);
  }

  /** Parses `projects/{p}/secrets/{s}` into the canonical secret name. */
  secret(name: string): string {
    const m = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(name);
    if (!m || !PROJECT.test(m[1]!) || !SECRET_ID.test(m[2]!)) throw badFormat(name);
    return secretName(this.project(m[1]!), m[2]!);
  }

  /** Parses `projects/{p}/secrets/{s}/versions/{v}` into the canonical secret name and `v`. */
  version(name: string): { secret: string; version: string } {
    const m = /^projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/]+)$/.exec(name);
    if (!m || !PROJECT.test(m[1]!) || !SECRET_ID.test(m[2]!)) throw badFormat(name);
    return { secret: secretName(this.project(m[1]!), m[2]!), version: m[3]! };
  }
}

export function validSecretId(id: string): boolean {
  return SECRET_ID.test(id);
}

export function secretName(project: string, id: string): string {
  return `projects/${project}/secrets/${id}`;
}

export function versionName(secret: string, version: number): string {
  return `${secret}/versions/${version}`;
}
