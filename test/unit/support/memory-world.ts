/**
 * In-memory source, store and sink that keep the engine's contracts, so the protocol's
 * invariants can be checked at every step boundary in milliseconds. The same invariants
 * are proven again through the real SDKs against the sandbox in test/integration.
 */
import { LeaseHeldError, VerificationError } from '../../../shared/errors.js';
import type {
  CredentialSink,
  CredentialSource,
  Lease,
  MintRequest,
  Orphan,
  SecretStore,
  SourceStatus,
  StoredCredential,
  StoreState,
} from '../../../shared/rotation/types.js';

interface Token {
  id: number;
  value: string;
  state: 'active' | 'revoked';
  expiresAt: string;
  marker: string;
}

export class MemorySource implements CredentialSource {
  readonly kind = 'gitlab-project-access-token' as const;
  readonly tokens = new Map<number, Token>();
  private nextId = 1;
  failVerify = false;

  constructor(private readonly credential: string) {}

  seed(expiresAt: string, mintedAt: string): StoredCredential {
    const token = this.create(`credrot:${this.credential}:seed`, expiresAt);
    return this.toStored(token, 'seed', mintedAt);
  }

  private create(marker: string, expiresAt: string): Token {
    const id = this.nextId++;
    const token: Token = {
      id,
      value: `tok-${id}-${Math.random().toString(36).slice(2)}`,
      state: 'active',
      expiresAt,
      marker,
    };
    this.tokens.set(id, token);
    return token;
  }

  private toStored(t: Token, rotationId: string, mintedAt: string): StoredCredential {
    return {
      token: t.value,
      kind: this.kind,
      credential: this.credential,
      sourceId: t.id,
      gitlabUrl: 'memory://',
      expiresAt: t.expiresAt,
      rotationId,
      mintedAt,
    };
  }

  isValid(value: string): boolean {
    return [...this.tokens.values()].some((t) => t.value === value && t.state === 'active');
  }

  async mint(req: MintRequest): Promise<StoredCredential> {
    const t = this.create(
      `credrot:${this.credential}:${req.rotationId}`,
      `${req.expiresOn}T00:00:00.000Z`,
    );
    return this.toStored(t, req.rotationId, req.now.toISOString());
  }

  async verify(value: StoredCredential): Promise<void> {
    if (this.failVerify || !this.isValid(value.token))
      throw new VerificationError('new token refused');
  }

  async revoke(value: StoredCredential): Promise<void> {
    const t = this.tokens.get(value.sourceId);
    if (t) t.state = 'revoked';
  }

  async status(value: StoredCredential): Promise<SourceStatus> {
    const t = this.tokens.get(value.sourceId);
    if (!t) return { state: 'missing' };
    return { state: t.state, expiresAt: t.expiresAt };
  }

  async findMinted(): Promise<Orphan[]> {
    return [...this.tokens.values()]
      .filter((t) => t.state === 'active' && t.marker.startsWith(`credrot:${this.credential}:`))
      .map((t) => ({ sourceId: t.id, rotationId: t.marker.split(':')[2]!, description: t.marker }));
  }

  async revokeOrphan(orphan: Orphan): Promise<void> {
    const t = this.tokens.get(orphan.sourceId);
    if (t) t.state = 'revoked';
  }
}

interface Version {
  id: string;
  value: StoredCredential;
  labels: Set<string>;
}

export class MemoryStore implements SecretStore {
  readonly label = 'memory store';
  readonly versions: Version[] = [];
  lease: { holder: string; expiresAt: Date; token: string } | undefined;
  promotedAt: Date | undefined;
  retired = new Set<string>();
  /** Set when the process "dies": a dead process releases nothing. */
  dead = false;

  seedCurrent(value: StoredCredential): void {
    this.versions.push({ id: value.rotationId, value, labels: new Set(['CURRENT']) });
  }

  private labelled(label: string): Version | undefined {
    return this.versions.find((v) => v.labels.has(label));
  }

  async read(): Promise<StoreState> {
    const current = this.labelled('CURRENT');
    const pending = this.labelled('PENDING');
    const previous = this.labelled('PREVIOUS');
    const view = (v: Version | undefined) => (v ? { versionId: v.id, value: v.value } : undefined);
    return {
      exists: this.versions.length > 0,
      ...(current ? { current: view(current)! } : {}),
      ...(pending ? { pending: view(pending)! } : {}),
      ...(previous ? { previous: view(previous)! } : {}),
      previousRetired: previous !== undefined && this.retired.has(previous.id),
      ...(this.promotedAt ? { promotedAt: this.promotedAt } : {}),
    };
  }

  async acquireLease(holder: string, ttlMs: number, now: Date): Promise<Lease> {
    if (this.lease && this.lease.expiresAt > now)
      throw new LeaseHeldError(this.lease.holder, this.lease.expiresAt);
    this.lease = {
      holder,
      expiresAt: new Date(now.getTime() + ttlMs),
      token: `${holder}-${now.getTime()}`,
    };
    return { ...this.lease };
  }

  async releaseLease(lease: Lease): Promise<void> {
    if (this.dead) return;
    if (this.lease?.token === lease.token) this.lease = undefined;
  }

  async stage(value: StoredCredential): Promise<void> {
    if (this.versions.some((v) => v.id === value.rotationId)) return;
    for (const v of this.versions) v.labels.delete('PENDING');
    this.versions.push({ id: value.rotationId, value, labels: new Set(['PENDING']) });
  }

  async promote(rotationId: string, now: Date): Promise<void> {
    const next = this.versions.find((v) => v.id === rotationId);
    if (!next || next.labels.has('CURRENT')) return;
    const old = this.labelled('CURRENT');
    for (const v of this.versions) v.labels.delete('PREVIOUS');
    if (old) {
      old.labels.delete('CURRENT');
      old.labels.add('PREVIOUS');
    }
    next.labels.delete('PENDING');
    next.labels.add('CURRENT');
    this.promotedAt = now;
  }

  async discardPending(rotationId: string): Promise<void> {
    const v = this.versions.find((x) => x.id === rotationId);
    v?.labels.delete('PENDING');
  }

  async markPreviousRetired(rotationId: string): Promise<void> {
    const current = this.versions.find((v) => v.id === rotationId);
    if (!current?.labels.has('CURRENT')) return;
    const previous = this.labelled('PREVIOUS');
    if (previous) this.retired.add(previous.id);
  }

  /** Every token value any version references. */
  storedValues(): string[] {
    return this.versions.filter((v) => v.labels.size > 0).map((v) => v.value.token);
  }
}

export class MemorySink implements CredentialSink {
  value: string | undefined;
  failPush = false;

  constructor(readonly label: string) {}

  render(ctx: { token: string }): string {
    return ctx.token;
  }

  validate(): void {}

  async push(rendered: string): Promise<'written' | 'unchanged'> {
    if (this.failPush) throw new Error('sink down');
    if (this.value === rendered) return 'unchanged';
    this.value = rendered;
    return 'written';
  }

  async readBack(): Promise<string | undefined> {
    return this.value;
  }
}
