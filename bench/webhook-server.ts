/**
 * The GitLab webhook handler (shared/webhooks/gitlab.ts) on 127.0.0.1, in its own process
 * so the load generator does not share its event loop: prints the port on stdout, and
 * the number of jobs queued on stderr when it gets SIGTERM.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../shared/config/load.js';
import { MemoryJobQueue } from '../shared/jobs/memory-queue.js';
import { jsonLineLog } from '../shared/metrics/log.js';
import { MemoryDedupeStore } from '../shared/webhooks/dedupe.js';
import { handleGitLabWebhook } from '../shared/webhooks/gitlab.js';
import { lowerCaseHeaders } from '../shared/webhooks/http.js';

export const SECRET = 'bench-webhook-secret';
const CONFIG = `
version: 1
connections:
  gitlab:
    main: { url: https://gitlab.example.com, token: { env: CREDROT_GITLAB_TOKEN } }
  aws:
    prod: { region: eu-west-1 }
credentials:
  - name: app-ci
    kind: gitlab-project-access-token
    source: { project: platform/app }
    policy: { lifetime: 30d, scopes: [read_api] }
    stores:
      - { type: aws-secrets-manager, secretId: credrot/app-ci }
    sinks:
      - { type: gitlab-variable, project: platform/app, key: APP_TOKEN }
`;

export const BODY = JSON.stringify({
  object_kind: 'access_token',
  project_id: 7,
  project: { id: 7, name: 'app', path_with_namespace: 'platform/app' },
  object_attributes: { user_id: 90, id: 4242, name: 'app-ci', expires_at: '2026-12-01' },
  event_name: 'expiring_access_token',
});

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const queue = new MemoryJobQueue();
const deps = {
  config: parseConfig(CONFIG, '/bench/credrot.config.yaml'),
  secrets: [SECRET],
  maxBodyBytes: 1_000_000,
  queue,
  dedupe: new MemoryDedupeStore(),
  now: () => new Date(),
  // Production logs one JSON line per delivery; the bench discards them but pays the cost.
  log: jsonLineLog(() => {}),
  gitlab: async () => {
    throw new Error('the acknowledgement path of a token event makes no GitLab call');
  },
};

const server = createServer(async (req, res) => {
  const out = await handleGitLabWebhook(
    { headers: lowerCaseHeaders(req.headers), body: await readBody(req) },
    deps,
  );
  res.writeHead(out.status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(out.body));
});

if (process.argv[1]?.endsWith('webhook-server.ts')) {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => {
    process.stderr.write(`${queue.jobs.length}\n`);
    server.close(() => process.exit(0));
  });
}
