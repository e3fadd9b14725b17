/**
 * infra/ checked without network or provider downloads: every .tf file is parsed with
 * HashiCorp's own HCL parser (@cdktf/hcl2json) and its structure asserted against the code
 * it deploys (the exports of the GCP bundle) and against the least-privilege rules.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleGcp, type GcpBundle } from '../../scripts/bundle-gcp.js';
import { ROOT } from '../support/serverless.js';

type Block = Record<string, unknown>;
// Loaded by a computed name so that its typings (which pull in the DOM lib and change
// fetch and Headers types for the whole program) stay out of the type check.
const HCL2JSON = '@cdktf/hcl2json';
const { parse } = (await import(HCL2JSON)) as {
  parse(file: string, content: string): Promise<unknown>;
};

/** hcl2json's shape: resource.<type>.<name> is a list of blocks; nested blocks are lists too. */
type Hcl = Record<string, Record<string, Record<string, Block[]>>>;

const INFRA = join(ROOT, 'infra');
const run = promisify(execFile);
const ENTRY_POINTS = [
  'gitlabWebhook',
  'githubWebhook',
  'scheduledScan',
  'rotationWorker',
  'secretRotate',
];

const resources: Record<string, Record<string, Block>> = {};
const data: Record<string, Record<string, Block>> = {};
const variables: Record<string, Block> = {};
const outputs: Record<string, Block> = {};
let bundle: GcpBundle;
let bundleDir: string;
/** Which of ENTRY_POINTS the built bundle registers with the Functions Framework. */
let registered: string[];

/** The one block of a resource (or a nested block) by its path. */
function block(from: Block, ...path: string[]): Block {
  let at: unknown = from;
  for (const key of path) {
    const next = (at as Block)[key];
    at = Array.isArray(next) ? next[0] : next;
    if (at === undefined) throw new Error(`no ${path.join('.')} in ${JSON.stringify(from)}`);
  }
  return at as Block;
}
const resource = (type: string, name: string): Block => {
  const r = resources[type]?.[name];
  if (!r) throw new Error(`infra/ declares no ${type}.${name}`);
  return r;
};
const all = (type: string) => Object.entries(resources[type] ?? {});
/** A Terraform interpolation as hcl2json renders it: tf('var.x') is "${var.x}". */
const tf = (expression: string) => `\${${expression}}`;

beforeAll(async () => {
  const files = (await readdir(INFRA)).filter((f) => f.endsWith('.tf'));
  for (const file of files) {
    const parsed = (await parse(file, await readFile(join(INFRA, file), 'utf8'))) as Hcl;
    for (const [type, byName] of Object.entries(parsed['resource'] ?? {})) {
      for (const [name, blocks] of Object.entries(byName)) {
        resources[type] ??= {};
        resources[type][name] = blocks[0]!;
      }
    }
    for (const [type, byName] of Object.entries(parsed['data'] ?? {})) {
      for (const [name, blocks] of Object.entries(byName)) {
        data[type] ??= {};
        data[type][name] = blocks[0]!;
      }
    }
    for (const [name, blocks] of Object.entries(parsed['variable'] ?? {})) {
      variables[name] = (blocks as unknown as Block[])[0]!;
    }
    for (const [name, blocks] of Object.entries(parsed['output'] ?? {})) {
      outputs[name] = (blocks as unknown as Block[])[0]!;
    }
  }
  bundleDir = await mkdtemp(join(tmpdir(), 'credrot-gcp-'));
  bundle = await bundleGcp(bundleDir);
  registered = await registeredTargets(bundleDir, ENTRY_POINTS);
}, 60_000);

/**
 * Loads the bundle in a plain Node process, as the runtime does (its node_modules holding
 * the Functions Framework), and asks the framework's testing API which targets exist.
 */
async function registeredTargets(dir: string, names: string[]): Promise<string[]> {
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const entry = join(dir, 'index.mjs');
  const script = [
    "import { createRequire } from 'node:module';",
    `await import(${JSON.stringify(pathToFileURL(entry).href)});`,
    `const { getFunction } = createRequire(${JSON.stringify(entry)})('@google-cloud/functions-framework/testing');`,
    `process.stdout.write(JSON.stringify(${JSON.stringify(names)}.filter((n) => typeof getFunction(n) === 'function')));`,
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    timeout: 30_000,
  });
  return JSON.parse(stdout) as string[];
}

afterAll(async () => {
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

describe('infra/ (Terraform for GCP), parsed offline', () => {
  it('deploys one gen2 function per GCP target, each entry point a target the bundle registers', () => {
    const functions = all('google_cloudfunctions2_function');
    const entryPoints = functions.map(([, f]) => block(f, 'build_config')['entry_point']);
    expect([...entryPoints].sort()).toEqual([...ENTRY_POINTS].sort());
    // The Functions Framework resolves an entry point among the registered targets first
    // (then among the exports), so that is what Cloud Functions will find.
    expect(registered.sort()).toEqual([...ENTRY_POINTS].sort());
    for (const [name, f] of functions) {
      const build = block(f, 'build_config');
      expect(build['runtime'], name).toBe(tf('var.runtime'));
      expect(block(build, 'source', 'storage_source')).toEqual({
        bucket: tf('google_storage_bucket.source.name'),
        object: tf('google_storage_bucket_object.bundle.name'),
      });
      // Each runs as its own service account, never the default compute one.
      expect(block(f, 'service_config')['service_account_email'], name).toMatch(
        /^\$\{google_service_account\.\w+\.email\}$/,
      );
    }
    expect(block(variables['runtime']!)['default']).toBe('nodejs20');
  });

  it('builds the source from the esbuild bundle, leaving the Functions Framework to the runtime', async () => {
    expect(bundle.externals).toContain('@google-cloud/functions-framework');
    const pkg = JSON.parse(await readFile(join(bundleDir, 'package.json'), 'utf8')) as Block;
    expect(pkg['main']).toBe('index.mjs');
    expect(pkg['type']).toBe('module');
    expect(Object.keys(pkg['dependencies'] as Block)).toEqual([
      '@google-cloud/functions-framework',
    ]);
    const archive = data['archive_file']?.['bundle'];
    expect(archive?.['type']).toBe('zip');
    expect(archive?.['source_dir']).toBe(tf('var.bundle_dir'));
    expect(resource('google_storage_bucket_object', 'bundle')['source']).toBe(
      tf('data.archive_file.bundle.output_path'),
    );
  });

  it('wires each trigger to the right topic: schedule → scan, jobs → worker with a dead-letter topic, secret rotation → secretRotate', () => {
    const trigger = (name: string) =>
      block(resource('google_cloudfunctions2_function', name), 'event_trigger');
    expect(trigger('scheduled_scan')['pubsub_topic']).toBe(tf('google_pubsub_topic.scan.id'));
    expect(trigger('secret_rotate')['pubsub_topic']).toBe(
      tf('google_pubsub_topic.secret_rotation.id'),
    );
    for (const name of ['scheduled_scan', 'secret_rotate']) {
      expect(trigger(name)['event_type']).toBe('google.cloud.pubsub.topic.v1.messagePublished');
    }

    const scheduler = resource('google_cloud_scheduler_job', 'scan');
    expect(block(scheduler, 'pubsub_target')['topic_name']).toBe(tf('google_pubsub_topic.scan.id'));

    const jobs = resource('google_pubsub_subscription', 'jobs');
    expect(jobs['topic']).toBe(tf('google_pubsub_topic.jobs.id'));
    const push = block(jobs, 'push_config');
    // The Functions Framework reads the topic from this path to build the CloudEvent.
    expect(push['push_endpoint']).toBe(
      `${tf('google_cloudfunctions2_function.rotation_worker.service_config[0].uri')}/projects/${tf('var.project_id')}/topics/${tf('google_pubsub_topic.jobs.name')}`,
    );
    expect(block(push, 'oidc_token')['service_account_email']).toBe(
      tf('google_service_account.invoker.email'),
    );
    const deadLetter = block(jobs, 'dead_letter_policy');
    expect(deadLetter['dead_letter_topic']).toBe(tf('google_pubsub_topic.jobs_dead_letter.id'));
    expect(deadLetter['max_delivery_attempts']).toBe(tf('var.max_delivery_attempts'));
    const attempts = Number(block(variables['max_delivery_attempts']!)['default']);
    expect(attempts).toBeGreaterThanOrEqual(5);
    expect(attempts).toBeLessThanOrEqual(100);
    // A dead-letter topic without a subscription would drop what it receives.
    expect(resource('google_pubsub_subscription', 'jobs_dead_letter')['topic']).toBe(
      tf('google_pubsub_topic.jobs_dead_letter.id'),
    );
    // The worker is reached only through that subscription.
    expect(resource('google_cloudfunctions2_function', 'rotation_worker')['event_trigger']).toBe(
      undefined,
    );
  });

  it('gives every managed secret a rotation schedule that notifies the rotation topic', () => {
    const managed = resource('google_secret_manager_secret', 'managed');
    expect(block(managed, 'topics')['name']).toBe(tf('google_pubsub_topic.secret_rotation.id'));
    expect(block(managed, 'rotation')).toEqual({
      rotation_period: tf('each.value.rotation_period'),
      next_rotation_time: tf('each.value.next_rotation_time'),
    });
    expect(managed['depends_on']).toEqual([
      tf('google_pubsub_topic_iam_member.secretmanager_publishes_rotation'),
    ]);
    const agent = resource('google_pubsub_topic_iam_member', 'secretmanager_publishes_rotation');
    expect(agent['topic']).toBe(tf('google_pubsub_topic.secret_rotation.id'));
    expect(agent['role']).toBe('roles/pubsub.publisher');
  });

  it('binds Secret Manager roles per secret only, never on the project, and never admin', () => {
    for (const type of Object.keys(resources)) {
      if (!/^google_(project|folder|organization)_iam_(member|binding|policy)$/.test(type))
        continue;
      for (const [name, r] of all(type)) {
        expect(JSON.stringify(r), `${type}.${name}`).not.toMatch(/secretmanager|pubsub/);
      }
    }
    const grants = all('google_secret_manager_secret_iam_member');
    expect(grants.length).toBeGreaterThan(0);
    for (const [name, g] of grants) {
      expect(g['secret_id'], name).toMatch(
        /^\$\{google_secret_manager_secret\.\w+(\[[^\]]+\])?\.id\}$/,
      );
      expect(g['role'], name).not.toBe('roles/secretmanager.admin');
    }
    for (const type of [
      'google_secret_manager_secret_iam_binding',
      'google_secret_manager_secret_iam_policy',
    ]) {
      expect(all(type), type).toEqual([]);
    }
    const rotator = resource('google_project_iam_custom_role', 'secret_rotator');
    const permissions = rotator['permissions'] as string[];
    expect(permissions.every((p) => p.startsWith('secretmanager.'))).toBe(true);
    expect(permissions.filter((p) => /delete|create|setIamPolicy|destroy/.test(p))).toEqual([]);
  });

  it('lets only the enqueuers publish, and only to the jobs topic', () => {
    const publishers = all('google_pubsub_topic_iam_member').filter(
      ([, r]) => r['role'] === 'roles/pubsub.publisher',
    );
    for (const [name, p] of publishers) {
      const members =
        p['member'] === tf('each.value')
          ? Object.values(block(p, 'for_each')).map(String)
          : [String(p['member'])];
      for (const member of members) {
        if (member.startsWith('${google_service_account.')) {
          expect(p['topic'], name).toBe(tf('google_pubsub_topic.jobs.id'));
        } else {
          // Google's own service agents: dead-lettering and Secret Manager notifications.
          expect(member, name).toMatch(/^\$\{local\.(pubsub|secretmanager)_agent\}$/);
          expect(p['topic'], name).not.toBe(tf('google_pubsub_topic.jobs.id'));
        }
      }
    }
    const jobs = resource('google_pubsub_topic_iam_member', 'jobs_publisher');
    expect(Object.keys(block(jobs, 'for_each')).sort()).toEqual([
      'github_webhook',
      'gitlab_webhook',
      'rotate',
      'scan',
    ]);
  });

  it('makes only the two webhooks public, and lets the invoker identity call the event-driven functions', () => {
    const publicRun = resource('google_cloud_run_v2_service_iam_member', 'webhook_public');
    expect(publicRun['member']).toBe('allUsers');
    expect(Object.keys(block(publicRun, 'for_each')).sort()).toEqual([
      'github_webhook',
      'gitlab_webhook',
    ]);
    const invoker = resource('google_cloud_run_v2_service_iam_member', 'invoker');
    expect(invoker['member']).toBe(tf('google_service_account.invoker.member'));
    for (const [name, f] of all('google_cloudfunctions2_function')) {
      const ingress = block(f, 'service_config')['ingress_settings'];
      expect(ingress, name).toBe(name.endsWith('_webhook') ? 'ALLOW_ALL' : 'ALLOW_INTERNAL_ONLY');
    }
  });

  it('documents every variable and exposes the webhook URLs and the jobs topic', async () => {
    for (const [name, v] of Object.entries(variables)) {
      expect(String(block(v)['description'] ?? ''), name).not.toBe('');
    }
    for (const name of ['gitlab_webhook_url', 'github_webhook_url', 'jobs_topic']) {
      expect(outputs[name], name).toBeDefined();
    }
    const readme = await readFile(join(INFRA, 'README.md'), 'utf8');
    expect(readme).toMatch(/terraform apply/);
  });
});
