/**
 * Field rules of the Secret resource, as documented on the resource page:
 * https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets#Secret
 * and for rotation: https://cloud.google.com/secret-manager/docs/secret-rotation
 */
import { invalidArgument } from './errors.js';

const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
const ANNOTATION_KEY = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
const ALIAS = /^[a-zA-Z][a-zA-Z0-9_-]{0,62}$/;
const TOPIC = /^projects\/[^/]+\/topics\/[^/]+$/;

export const MAX_PAYLOAD_BYTES = 64 * 1024;
const MIN_ROTATION_PERIOD_S = 3600;
const MAX_ROTATION_S = 3_153_600_000;
const MIN_ROTATION_LEAD_S = 300;

export function validateLabels(labels: Record<string, string>): void {
  const entries = Object.entries(labels);
  if (entries.length > 64) throw invalidArgument('No more than 64 labels can be assigned.');
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) throw invalidArgument(`Label key [${k}] is not in a valid format.`);
    if (!LABEL_VALUE.test(v))
      throw invalidArgument(`Label value for [${k}] is not in a valid format.`);
  }
}

export function validateAnnotations(annotations: Record<string, string>): void {
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    if (!ANNOTATION_KEY.test(k)) {
      throw invalidArgument(`Annotation key [${k}] is not in a valid format.`);
    }
    size += Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  if (size >= 16 * 1024) {
    throw invalidArgument('The total size of annotation keys and values must be less than 16KiB.');
  }
}

export function validateTopics(topics: string[]): void {
  if (topics.length > 10) throw invalidArgument('No more than 10 topics can be configured.');
  for (const t of topics) {
    if (!TOPIC.test(t)) throw invalidArgument(`Topic [${t}] is not in a valid format.`);
  }
}

/** Aliases must name existing versions; `latest` and `NEW` are reserved. */
export function validateAliases(
  aliases: Record<string, number>,
  versionExists: (n: number) => boolean,
): void {
  const entries = Object.entries(aliases);
  if (entries.length > 50)
    throw invalidArgument('No more than 50 version aliases can be assigned.');
  for (const [alias, n] of entries) {
    if (!ALIAS.test(alias) || alias === 'latest' || alias === 'NEW') {
      throw invalidArgument(`Version alias [${alias}] is not in a valid format.`);
    }
    if (!Number.isInteger(n) || n < 1 || !versionExists(n)) {
      throw invalidArgument(
        `Version alias [${alias}] refers to version [${n}] which does not exist.`,
      );
    }
  }
}

export interface RotationInput {
  nextRotationTime?: Date;
  rotationPeriodSeconds?: number;
}

/**
 * Rotation needs topics; a period needs a next time; the period is whole seconds in
 * [1h, 100y]; the next time is at least 5 minutes and at most 100 years ahead.
 */
export function validateRotation(rotation: RotationInput, topics: string[], now: Date): void {
  if (topics.length === 0) {
    throw invalidArgument('A secret with a rotation policy must have at least one topic.');
  }
  const { nextRotationTime: next, rotationPeriodSeconds: period } = rotation;
  if (period !== undefined) {
    if (next === undefined) {
      throw invalidArgument('next_rotation_time must be set if rotation_period is set.');
    }
    if (!Number.isInteger(period) || period < MIN_ROTATION_PERIOD_S || period > MAX_ROTATION_S) {
      throw invalidArgument(
        'rotation_period must be in seconds and at least 3600s (1h) and at most 3153600000s (100 years).',
      );
    }
  }
  if (next !== undefined) {
    const lead = (next.getTime() - now.getTime()) / 1000;
    if (lead < MIN_ROTATION_LEAD_S || lead > MAX_ROTATION_S) {
      throw invalidArgument(
        'next_rotation_time cannot be set to less than 300s (5 min) in the future or more than 3153600000s (100 years).',
      );
    }
  }
}
