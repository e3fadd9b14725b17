/**
 * The CI/CD variable store behind `variables.ts`, and the model validations GitLab runs on
 * every write (key format, masking rules, key+scope uniqueness). Tests and the demo read
 * values through `VariableStore.read` — hidden values included — without going through
 * the API, which never returns a hidden value.
 *
 * Model rules: https://docs.gitlab.com/ci/variables/#mask-a-cicd-variable
 * and https://docs.gitlab.com/api/project_level_variables/#create-a-variable
 */
import { HttpError } from '../http.js';

export type VariableLevel = 'project' | 'group' | 'instance';
export type VariableType = 'env_var' | 'file';

export interface VariableRecord {
  /** Internal id; orders lists and breaks ties between scopes (oldest first). */
  id: number;
  key: string;
  value: string;
  variable_type: VariableType;
  protected: boolean;
  masked: boolean;
  /** Set only at creation through `masked_and_hidden`; the API never returns the value again. */
  hidden: boolean;
  raw: boolean;
  /** Always `*` at instance level, where the API has no scopes. */
  environment_scope: string;
  description: string | null;
}

/** What tests and the demo use to look at variables without the API. */
export interface VariableStore {
  /** The variable with this key in exactly this scope (default `*`); instance level uses ownerId 0. */
  read(
    level: VariableLevel,
    ownerId: number,
    key: string,
    environmentScope?: string,
  ): VariableRecord | undefined;
  /** Every variable of one owner, oldest first. */
  list(level: VariableLevel, ownerId: number): VariableRecord[];
}

/** The full store the routes use; `VariableStore` is its read-only face. */
export class MemoryVariableStore implements VariableStore {
  private readonly byOwner = new Map<string, VariableRecord[]>();
  private lastId = 0;

  read(level: VariableLevel, ownerId: number, key: string, environmentScope = '*') {
    const found = this.bucket(level, ownerId).find(
      (v) => v.key === key && v.environment_scope === environmentScope,
    );
    return found ? { ...found } : undefined;
  }

  list(level: VariableLevel, ownerId: number): VariableRecord[] {
    return this.bucket(level, ownerId).map((v) => ({ ...v }));
  }

  /** Every variable with `key`, optionally narrowed to one scope; live records. */
  matching(level: VariableLevel, ownerId: number, key: string, scope?: string): VariableRecord[] {
    return this.bucket(level, ownerId).filter(
      (v) => v.key === key && (scope === undefined || v.environment_scope === scope),
    );
  }

  /** Validates and inserts; throws HttpError 400 with GitLab's model error body. */
  insert(
    level: VariableLevel,
    ownerId: number,
    fields: Omit<VariableRecord, 'id'>,
  ): VariableRecord {
    const bucket = this.bucket(level, ownerId);
    validateVariable(fields, bucket, undefined);
    this.lastId += 1;
    const record: VariableRecord = { ...fields, id: this.lastId };
    bucket.push(record);
    return record;
  }

  /** Validates the merged record and replaces `existing` in place. */
  update(
    level: VariableLevel,
    ownerId: number,
    existing: VariableRecord,
    changes: Partial<Omit<VariableRecord, 'id' | 'hidden'>>,
  ): VariableRecord {
    const bucket = this.bucket(level, ownerId);
    const next: VariableRecord = { ...existing, ...changes };
    // Hidden variables stay hidden and masked: GitLab refuses to reveal them by an update.
    if (existing.hidden && changes.masked === false) {
      throw new HttpError(400, {
        message: {
          base: ['The visibility setting cannot be changed for masked and hidden variables.'],
        },
      });
    }
    validateVariable(next, bucket, existing.id);
    Object.assign(existing, next);
    return existing;
  }

  remove(level: VariableLevel, ownerId: number, record: VariableRecord): void {
    const bucket = this.bucket(level, ownerId);
    const i = bucket.findIndex((v) => v.id === record.id);
    if (i >= 0) bucket.splice(i, 1);
  }

  private bucket(level: VariableLevel, ownerId: number): VariableRecord[] {
    const k = `${level}:${ownerId}`;
    let b = this.byOwner.get(k);
    if (!b) {
      b = [];
      this.byOwner.set(k, b);
    }
    return b;
  }
}

/** Creates the store to pass to `registerVariableRoutes` (and keep for in-process reads). */
export function createVariableStore(): MemoryVariableStore {
  return new MemoryVariableStore();
}

const KEY_FORMAT = /^[a-zA-Z0-9_]+$/;
/**
 * Maskable values when variable expansion is on: at least 8 characters from the Base64
 * alphabet (RFC 4648, including the URL-safe `-` and `_`) plus `@ : . ~`.
 */
const MASKABLE_EXPANDED = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/;
/** With expansion off (`raw`), any single line of 8+ characters without whitespace. */
const MASKABLE_RAW = /^\S{8,}$/;
const MAX_VALUE_LENGTH = 10_000;
const MAX_KEY_LENGTH = 255;
const MAX_DESCRIPTION_LENGTH = 255;

/** True when GitLab would accept `value` for a masked variable. */
export function isMaskable(value: string, raw: boolean): boolean {
  return (raw ? MASKABLE_RAW : MASKABLE_EXPANDED).test(value);
}

/**
 * Rails model validations, collected per attribute like ActiveModel errors and answered
 * `400 {"message":{"<attribute>":["..."]}}`. Never echoes the value itself.
 */
function validateVariable(
  v: Omit<VariableRecord, 'id'>,
  siblings: VariableRecord[],
  selfId: number | undefined,
): void {
  const errors: Record<string, string[]> = {};
  const add = (attr: string, msg: string) => {
    errors[attr] = [...(errors[attr] ?? []), msg];
  };
  if (v.key.length === 0) add('key', "can't be blank");
  if (v.key.length > MAX_KEY_LENGTH) {
    add('key', `is too long (maximum is ${MAX_KEY_LENGTH} characters)`);
  }
  if (v.key.length > 0 && !KEY_FORMAT.test(v.key)) {
    add('key', "can contain only letters, digits and '_'.");
  }
  if (v.value.length > MAX_VALUE_LENGTH) {
    add('value', `is too long (maximum is ${MAX_VALUE_LENGTH} characters)`);
  }
  if (v.masked && !isMaskable(v.value, v.raw)) add('value', 'is invalid');
  if (v.description !== null && v.description.length > MAX_DESCRIPTION_LENGTH) {
    add('description', `is too long (maximum is ${MAX_DESCRIPTION_LENGTH} characters)`);
  }
  const taken = siblings.some(
    (s) => s.id !== selfId && s.key === v.key && s.environment_scope === v.environment_scope,
  );
  if (taken) add('key', `(${v.key}) has already been taken`);
  if (Object.keys(errors).length > 0) throw new HttpError(400, { message: errors });
}
