/**
 * Concurrency through every trigger path, each as a separate instance would run it (own
 * configuration load, own connections and SDK clients, own queue and de-duplication):
 * - 50 triggers at once on one due credential, a seeded mix of the schedule (scan → queue
 *   → worker), the GitLab webhook (expiring-token delivery → queue → worker) and the CLI
 *   (`credrot rotate`): exactly one mint, every other run in progress or not due;
 * - 200 credentials rotated at once under injected latency on every emulator: each minted
 *   exactly once, and every consumer and store ends with its own credential's value.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, describe, it } from 'vitest';
import type { World } from '../../sandbox/gitlab/identity.js';
import { Connections } from '../../shared/config/connections.js';
import { loadConfig } from '../../shared/config/load.js';
import { MemoryJobQueue } from '../../shared/jobs/memory-queue.js';
import { scheduledScan } from '../../shared/jobs/scheduled.js';
import { runJob } from '../../shared/jobs/worker.js';
import { jsonLineLog } from '../../shared/metrics/log.js';
import { assembleTarget } from '../../shared/rotation/assemble.js';
import { type RotationOutcome, rotate } from '../../shared/rotation/engine.js';
import { parseMarker } from '../../shared/sources/gitlab/marker.js';
import { MemoryDedupeStore } from '../../shared/webhooks/dedupe.js';
import { handleGitLabWebhook } from '../../shared/webhooks/gitlab.js';
import { EMULATORS, faultsOf } from '../support/call-triggers.js';
import { credrot } from '../support/cli.js';
import { checkAtRest, consumerToken } from '../support/invariants.js';
import { type RotationWorld, seedWorld } from '../support/rotation-world.js';
import { faultFile } from './fault-file.js';
import type { ConcurrencyFigures } from './figures.js';
import { rng, scaleFromEnv, subSeed } from './scale.js';
import { type Lane, openLane } from './scenario.js';

const scale = scaleFromEnv();
const file = faultFile('concurrency');
const figures: Partial<ConcurrencyFigures> = {};
const HOOK_SECRET = 'faults-gitlab-hook-secret';

afterAll(() => file.finish({ concurrency: figures }));

type TriggerKind = 'schedule' | 'webhook' | 'cli';

/** The world's config plus a webhook section, written next to it. */
async function withWebhooks(w: RotationWorld): Promise<string> {
  const path = w.config.replace(/\.yaml$/, '-hooks.yaml');
  const text = await readFile(w.config, 'utf8');
  await writeFile(path, `${text}webhooks:\n  gitlab:\n    secret: { env: HOOK_SECRET }\n`);
  return path;
}

/** One trigger, end to end, as its own instance; answers the rotation result(s) it led to. */
async function trigger(
  kind: TriggerKind,
  n: number,
  w: RotationWorld,
  configFile: string,
  projectPath: string,
): Promise<string[]> {
  const env = { ...w.env, HOOK_SECRET };
  const log = jsonLineLog((line) => file.capture.add(line));
  if (kind === 'cli') {
    const out = await credrot(['rotate', w.name, '--config', configFile, '--json'], env);
    file.capture.add(out.stdout, out.stderr);
    return (JSON.parse(out.stdout) as { outcomes: RotationOutcome[] }).outcomes.map(
      (o) => o.result,
    );
  }
  const config = await loadConfig(configFile);
  const connections = new Connections(config, { env });
  const queue = new MemoryJobQueue();
  const now = () => new Date();
  if (kind === 'schedule') {
    await scheduledScan({ config, connections, queue, now, log });
  } else {
    const body = JSON.stringify({
      object_kind: 'access_token',
      project_id: w.projectId,
      project: { id: w.projectId, path_with_namespace: projectPath },
      object_attributes: {
        id: w.seeded.sourceId,
        name: w.name,
        expires_at: w.seeded.expiresAt.slice(0, 10),
      },
      event_name: 'expiring_access_token',
    });
    const res = await handleGitLabWebhook(
      {
        headers: {
          'x-gitlab-token': HOOK_SECRET,
          'x-gitlab-event': 'Resource Access Token Hook',
          'x-gitlab-event-uuid': `faults-${n}`,
        },
        body,
      },
      {
        config,
        secrets: [HOOK_SECRET],
        maxBodyBytes: 65_536,
        queue,
        dedupe: new MemoryDedupeStore(),
        now,
        log,
        gitlab: () => Promise.reject(new Error('no GitLab call expected')),
      },
    );
    file.capture.add(JSON.stringify(res.body));
    if (res.status !== 202) return [`webhook answered ${res.status}`];
  }
  if (queue.jobs.length === 0) return ['not-due'];
  const results: string[] = [];
  for (const job of queue.jobs) {
    const done = await runJob(job, {
      config,
      target: (c) => assembleTarget(c, connections),
      holder: `${kind}-${n}`,
      now,
      log,
    });
    results.push(done.outcome?.result ?? done.disposition);
  }
  return results;
}

function mintsOf(lane: Lane, from: number): number {
  return lane.sandbox.gitlab.router.calls
    .slice(from)
    .filter((c) => /^gitlab\.create(Project|Group)Token$/.test(c.operation)).length;
}

describe('concurrent triggers and concurrent credentials', () => {
  it('50 concurrent triggers (schedule, webhook, CLI) on one credential mint exactly once', async ({
    expect,
  }) => {
    const lane = await openLane();
    try {
      const w = await seedWorld(lane.sandbox, {
        kind: 'gitlab-project-access-token',
        gracePeriod: '1h',
      });
      const configFile = await withWebhooks(w);
      const projectPath = /project: (g\d+\/app)/.exec(await readFile(w.config, 'utf8'))![1]!;
      const random = rng(subSeed(scale.seed, 'triggers'));
      const kinds: TriggerKind[] = Array.from(
        { length: 50 },
        (_, i) => (['schedule', 'webhook', 'cli'] as const)[i < 3 ? i : Math.floor(random() * 3)]!,
      );
      const from = lane.sandbox.gitlab.router.calls.length;
      const results = (
        await Promise.all(kinds.map((k, i) => trigger(k, i, w, configFile, projectPath)))
      ).flat();
      const mints = mintsOf(lane, from);
      Object.assign(figures, {
        triggers: kinds.length,
        schedule: kinds.filter((k) => k === 'schedule').length,
        webhook: kinds.filter((k) => k === 'webhook').length,
        cli: kinds.filter((k) => k === 'cli').length,
        mints,
      });
      expect(mints, results.join(', ')).toBe(1);
      expect(results.filter((r) => r === 'rotated')).toHaveLength(1);
      for (const r of results) expect(['rotated', 'in-progress', 'not-due']).toContain(r);
      expect(await checkAtRest(lane.sandbox, w.credential, lane.watch, new Date())).toEqual([]);
    } finally {
      file.minted(lane.watch.issued().map((t) => t.value));
      await lane.close();
    }
  });

  it('200 credentials rotated concurrently under injected latency are each rotated once, without cross-talk', async ({
    expect,
  }) => {
    const lane = await openLane();
    const fleet = 200;
    try {
      const worlds: RotationWorld[] = [];
      for (let i = 0; i < fleet; i++)
        worlds.push(
          await seedWorld(lane.sandbox, {
            kind: i % 2 === 0 ? 'gitlab-project-access-token' : 'gitlab-group-access-token',
            stores: i % 3 === 0 ? ['gcp', 'aws'] : ['aws', 'gcp'],
            gracePeriod: '1h',
          }),
        );
      // Production clients (no shortened timeouts): 200 runs queue on the SDKs' sockets.
      const targets = await Promise.all(worlds.map((w) => w.target()));
      const issuedBefore = lane.watch.issued().length;
      for (const e of EMULATORS)
        faultsOf(lane.sandbox, e).setPlan({ latency: { minMs: 5, maxMs: 60 }, seed: scale.seed });
      const outcomes = await Promise.all(
        targets.map((t) =>
          rotate(t, { trigger: 'schedule', holder: `fleet-${t.name}`, now: () => new Date() }),
        ),
      );
      for (const e of EMULATORS) faultsOf(lane.sandbox, e).clear();
      file.capture.add(...outcomes.map((o) => JSON.stringify(o)));

      const gitlab = lane.sandbox.gitlab.ctx as World;
      const minted = new Map<string, Array<{ id: number; value: string }>>();
      for (const t of lane.watch.issued().slice(issuedBefore)) {
        const record = gitlab.tokens.get(t.id);
        const owner = parseMarker(record?.description)?.credential ?? '?';
        minted.set(owner, [...(minted.get(owner) ?? []), { id: t.id, value: t.value }]);
      }
      let rotatedOnce = 0;
      const crossTalk: string[] = [];
      for (const [i, w] of worlds.entries()) {
        const mine = minted.get(w.name) ?? [];
        if (outcomes[i]!.result === 'rotated' && mine.length === 1) rotatedOnce += 1;
        const value = mine[0]?.value;
        const state = await w.credential.stores[0]!.store.read();
        if (state.current?.value.credential !== w.name || state.current.value.token !== value)
          crossTalk.push(`${w.name}: its store's current value is not the token minted for it`);
        for (const consumer of w.credential.consumers)
          if (consumerToken(lane.sandbox, consumer) !== value)
            crossTalk.push(`${w.name}: a consumer does not hold the token minted for it`);
      }
      Object.assign(figures, { fleet, rotatedOnce, crossTalk: crossTalk.length });
      expect(
        outcomes
          .filter((o) => o.result !== 'rotated')
          .map((o) => `${o.credential}: ${o.result} ${o.error ?? ''}`),
      ).toEqual([]);
      expect(rotatedOnce).toBe(fleet);
      expect(crossTalk).toEqual([]);
      const atRest = await Promise.all(
        worlds.map((w) => checkAtRest(lane.sandbox, w.credential, lane.watch, new Date())),
      );
      expect(atRest.flat()).toEqual([]);
    } finally {
      file.minted(lane.watch.issued().map((t) => t.value));
      await lane.close();
    }
  });

  it('printed, logged and answered no secret value minted in the run', ({ expect }) => {
    const scan = file.scan();
    expect(scan.values).toBeGreaterThan(0);
    expect(scan.hits).toEqual([]);
  });
});
