/**
 * The rotation protocol's invariants (DESIGN.md), checked against a started sandbox for one
 * credential: its name (the one in credrot's marker), its stores and its consumers. Every
 * checker answers a list of violations, empty when the invariant holds; a violation names
 * the token by id or fingerprint, never by value, so it can be printed by a failing test.
 *
 * - `probeConsumers`: every consumer (CI/CD variable, Actions secret) holds a token GitLab
 *   accepts right now. Synchronous and in-process, so `startProbing` can call it every few
 *   milliseconds without touching any call log or rate limit.
 * - `nothingLost`: every token the emulator issued for the credential during the watch is
 *   referenced by a store (current, pending or previous) or no longer valid.
 * - `noValidOrphans`: every valid token at GitLab that carries the credential's marker is
 *   referenced by a store.
 * - `noFamilyRevocation`: GitLab's automatic reuse detection never fired.
 * - `storeClean`: no pending value, no lease, no stray lease label or annotation.
 *
 * `watchSandbox` must be called before the rotations under test: it records every token
 * value the GitLab emulator issues (for the two "lost" checks and for secret scans) and
 * every family revocation. Built for reuse by a fault matrix, independent of any one test.
 */
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { DeployTokenRecord } from '../../sandbox/gitlab/deploy-tokens.js';
import type { World } from '../../sandbox/gitlab/identity.js';
import type { AccessTokenRecord } from '../../sandbox/gitlab/token-store.js';
import type { Sandbox } from '../../sandbox/index.js';
import type { SecretStore } from '../../shared/rotation/types.js';
import { parseMarker } from '../../shared/sources/gitlab/marker.js';
import { fingerprint } from '../../shared/util/fingerprint.js';

/** Where a consumer reads the credential, and how to get the token out of what it holds. */
export type ConsumerRef =
  | {
      type: 'gitlab-variable';
      level: 'project' | 'group' | 'instance';
      /** Project or group id (0 for the instance). */
      ownerId: number;
      key: string;
      environmentScope?: string;
      /** The token inside the variable's value; default: the value itself. */
      extract?: (value: string) => string;
    }
  | {
      type: 'github-secret';
      scope: { repo: string } | { org: string } | { repo: string; environment: string };
      name: string;
      extract?: (value: string) => string;
    };

/** A store of the credential, plus where it lives, for the raw lease checks. */
export interface StoreUnderTest {
  store: SecretStore;
  ref:
    | { type: 'aws-secrets-manager'; secretId: string; client: SecretsManagerClient }
    | { type: 'gcp-secret-manager'; name: string; client: SecretManagerServiceClient };
}

export interface CredentialUnderTest {
  /** The credential's name in credrot's configuration (and in its marker). */
  name: string;
  stores: StoreUnderTest[];
  consumers: ConsumerRef[];
}

/** What a watched sandbox saw: issued token values and reuse detections. */
export interface SandboxWatch {
  /** Every token value the GitLab emulator issued since the watch began. */
  issued(): IssuedToken[];
  /** Every automatic reuse detection (family revocation) since the watch began. */
  familyRevocations(): Array<{ tokenId: number; revoked: number }>;
  /** Undoes the instrumentation. */
  stop(): void;
}

export interface IssuedToken {
  value: string;
  id: number;
  type: 'access' | 'deploy';
}

/**
 * Instruments the GitLab emulator in-process: wraps its token stores' `create` (the
 * emulator keeps only digests, so values are caught as they are issued) and
 * `revokeFamily` (reuse detection). Nothing about the API changes.
 */
export function watchSandbox(sandbox: Sandbox): SandboxWatch {
  const world = sandbox.gitlab.ctx as World;
  const tokens = world.tokens;
  const deploy = sandbox.gitlab.deployTokens;
  const issued: IssuedToken[] = [];
  const families: Array<{ tokenId: number; revoked: number }> = [];
  const create = tokens.create;
  const createDeploy = deploy.create;
  const revokeFamily = tokens.revokeFamily;
  tokens.create = (input) => {
    const out = create.call(tokens, input);
    issued.push({ value: out.token, id: out.record.id, type: 'access' });
    return out;
  };
  deploy.create = (input) => {
    const out = createDeploy.call(deploy, input);
    issued.push({ value: out.token, id: out.record.id, type: 'deploy' });
    return out;
  };
  tokens.revokeFamily = (record) => {
    const revoked = revokeFamily.call(tokens, record);
    families.push({ tokenId: record.id, revoked });
    return revoked;
  };
  return {
    issued: () => [...issued],
    familyRevocations: () => [...families],
    stop() {
      tokens.create = create;
      deploy.create = createDeploy;
      tokens.revokeFamily = revokeFamily;
    },
  };
}

/** The token held by a consumer right now, or undefined when it holds nothing. */
export function consumerToken(sandbox: Sandbox, consumer: ConsumerRef): string | undefined {
  const raw =
    consumer.type === 'gitlab-variable'
      ? sandbox.gitlab.variables.read(
          consumer.level,
          consumer.ownerId,
          consumer.key,
          consumer.environmentScope ?? '*',
        )?.value
      : sandbox.github.secretValue(consumer.scope, consumer.name);
  if (raw === undefined || raw === null) return undefined;
  return consumer.extract ? consumer.extract(raw) : raw;
}

function describeConsumer(c: ConsumerRef): string {
  return c.type === 'gitlab-variable'
    ? `gitlab variable ${c.key} (${c.level} ${c.ownerId})`
    : `github secret ${c.name} (${JSON.stringify(c.scope)})`;
}

/**
 * Every consumer holds a token GitLab accepts at this instant. In-process and
 * synchronous: safe to call every few milliseconds while a rotation runs.
 */
export function probeConsumers(sandbox: Sandbox, credential: CredentialUnderTest): string[] {
  const problems: string[] = [];
  for (const consumer of credential.consumers) {
    const token = consumerToken(sandbox, consumer);
    if (token === undefined) {
      problems.push(`${describeConsumer(consumer)} holds no value`);
      continue;
    }
    const state = sandbox.gitlab.tokenState(token);
    if (state !== 'active')
      problems.push(`${describeConsumer(consumer)} holds ${fingerprint(token)}, which is ${state}`);
  }
  return problems;
}

export interface Probing {
  /** Stops probing; answers every distinct violation seen, and how many probes ran. */
  stop(): { violations: string[]; probes: number };
}

/** Probes the consumers every `everyMs` (default 20 ms) until stopped. */
export function startProbing(
  sandbox: Sandbox,
  credential: CredentialUnderTest,
  everyMs = 20,
): Probing {
  const seen = new Set<string>();
  let probes = 0;
  const probe = () => {
    probes += 1;
    for (const v of probeConsumers(sandbox, credential)) seen.add(v);
  };
  probe();
  const timer = setInterval(probe, everyMs);
  return {
    stop() {
      clearInterval(timer);
      probe();
      return { violations: [...seen], probes };
    },
  };
}

/** Source ids referenced by any store's current, pending or previous version. */
export async function storedSourceIds(credential: CredentialUnderTest): Promise<Set<number>> {
  const ids = new Set<number>();
  for (const { store } of credential.stores) {
    const state = await store.read();
    for (const v of [state.current, state.pending, state.previous])
      if (v) ids.add(v.value.sourceId);
  }
  return ids;
}

interface GitLabToken {
  type: 'access' | 'deploy';
  id: number;
  label: string;
  marker: string | null | undefined;
  active: boolean;
  record: AccessTokenRecord | DeployTokenRecord;
}

/** Every access and deploy token in the emulator, with its marker text and validity. */
function allTokens(sandbox: Sandbox): GitLabToken[] {
  const world = sandbox.gitlab.ctx as World;
  const access = world.tokens.all().map(
    (t): GitLabToken => ({
      type: 'access',
      id: t.id,
      label: `access token ${t.id} "${t.name}"`,
      marker: t.description,
      active: world.tokens.state(t) === 'active',
      record: t,
    }),
  );
  const deploy = sandbox.gitlab.deployTokens.list().map(
    (t): GitLabToken => ({
      type: 'deploy',
      id: t.id,
      label: `deploy token ${t.id} "${t.name}"`,
      marker: t.name,
      active: sandbox.gitlab.deployTokens.active(t),
      record: t,
    }),
  );
  return [...access, ...deploy];
}

/**
 * No valid token at GitLab carrying `credential.name`'s marker is unknown to the stores.
 * Run after a recovery run: a crashed run may leave such an orphan for the next one.
 */
export async function noValidOrphans(
  sandbox: Sandbox,
  credential: CredentialUnderTest,
): Promise<string[]> {
  const stored = await storedSourceIds(credential);
  return allTokens(sandbox)
    .filter((t) => t.active && parseMarker(t.marker)?.credential === credential.name)
    .filter((t) => !stored.has(t.id))
    .map((t) => `${t.label} carries ${credential.name}'s marker, is valid, and no store has it`);
}

/**
 * Every token issued during the watch that belongs to the credential (its marker names
 * it, or it is in the rotation family of a stored token) is stored or no longer valid.
 */
export async function nothingLost(
  sandbox: Sandbox,
  credential: CredentialUnderTest,
  watch: SandboxWatch,
): Promise<string[]> {
  const stored = await storedSourceIds(credential);
  const world = sandbox.gitlab.ctx as World;
  const family = new Set<number>();
  for (const id of stored) {
    const record = world.tokens.get(id);
    if (record) for (const member of world.tokens.family(record)) family.add(member.id);
  }
  const byKey = new Map(allTokens(sandbox).map((t) => [`${t.type}:${t.id}`, t]));
  const problems: string[] = [];
  for (const issued of watch.issued()) {
    const token = byKey.get(`${issued.type}:${issued.id}`);
    // A deleted deploy token is gone from the listing: it can no longer be used.
    if (!token?.active || stored.has(issued.id)) continue;
    const ours =
      parseMarker(token.marker)?.credential === credential.name ||
      (issued.type === 'access' && family.has(issued.id));
    if (ours)
      problems.push(`${token.label} (${fingerprint(issued.value)}) is valid and stored nowhere`);
  }
  return problems;
}

/** GitLab's reuse detection never revoked a token family. */
export function noFamilyRevocation(watch: SandboxWatch): string[] {
  return watch
    .familyRevocations()
    .map((f) => `reuse detection fired on token ${f.tokenId} (${f.revoked} tokens revoked)`);
}

/**
 * Every store is at rest: no pending value, no lease held (as `leaseInfo` reports it), and
 * no lease left behind in the raw secret (AWS label CREDROT_LEASE or a CREDROT_CANDIDATE_*
 * scratch label; GCP annotation credrot-lease).
 */
export async function storeClean(credential: CredentialUnderTest, now: Date): Promise<string[]> {
  const problems: string[] = [];
  for (const { store, ref } of credential.stores) {
    const state = await store.read();
    if (state.pending)
      problems.push(`${store.label} has a pending version ${state.pending.versionId}`);
    const lease = await store.leaseInfo?.(now);
    if (lease) problems.push(`${store.label} lease held by ${lease.holder}`);
    if (ref.type === 'aws-secrets-manager') {
      const described = await ref.client.send(
        new DescribeSecretCommand({ SecretId: ref.secretId }),
      );
      const labels = Object.values(described.VersionIdsToStages ?? {}).flat();
      const stray = labels.filter(
        (l) => l === 'CREDROT_LEASE' || l.startsWith('CREDROT_CANDIDATE_'),
      );
      if (stray.length > 0) problems.push(`${store.label} carries ${stray.join(', ')}`);
    } else {
      const [secret] = await ref.client.getSecret({ name: ref.name });
      if (secret.annotations?.['credrot-lease'] !== undefined)
        problems.push(`${store.label} carries the annotation credrot-lease`);
    }
  }
  return problems;
}

/** Every invariant that must hold once runs are over (after a recovery run). */
export async function checkAtRest(
  sandbox: Sandbox,
  credential: CredentialUnderTest,
  watch: SandboxWatch,
  now: Date,
): Promise<string[]> {
  return [
    ...probeConsumers(sandbox, credential),
    ...(await nothingLost(sandbox, credential, watch)),
    ...(await noValidOrphans(sandbox, credential)),
    ...noFamilyRevocation(watch),
    ...(await storeClean(credential, now)),
  ];
}

/**
 * Which of `values` appear in any of `texts`, as they are or base64-encoded at any byte
 * alignment (so a token inside `base64(user:token)`, as in a Docker auth config, is found
 * too). Answers fingerprints, so a failing assertion never prints the secret it found.
 */
export function leakedSecrets(texts: readonly string[], values: readonly string[]): string[] {
  const all = texts.join('\n');
  const leaked: string[] = [];
  for (const value of values) {
    if (value.length < 8) continue;
    const forms = [value, ...base64Cores(value)];
    if (forms.some((f) => all.includes(f))) leaked.push(fingerprint(value));
  }
  return leaked;
}

/**
 * The part of base64(prefix + value + suffix) that depends on `value` alone, for each of
 * the three alignments, in both the standard and the URL-safe alphabet.
 */
function base64Cores(value: string): string[] {
  const cores: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), Buffer.from(value)]).toString('base64');
    const start = shift === 0 ? 0 : 4;
    const core = encoded.slice(start, Math.floor(encoded.replace(/=+$/, '').length / 4) * 4);
    if (core.length >= 8) cores.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return cores;
}
