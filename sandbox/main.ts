/**
 * `npm run sandbox`: starts every emulator and the registry, prints the endpoints,
 * writes them with the admin credentials to .sandbox/endpoints.json, and stops cleanly
 * on Ctrl-C or SIGTERM.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { startSandbox } from './index.js';

const started = Date.now();
const sandbox = await startSandbox();
const { endpoints } = sandbox;
await mkdir('.sandbox', { recursive: true });
await writeFile('.sandbox/endpoints.json', `${JSON.stringify(endpoints, null, 2)}\n`, {
  mode: 0o600,
});

const registry =
  'url' in endpoints.registry
    ? endpoints.registry.url
    : `not running: ${endpoints.registry.unavailable}`;
console.log(`credrot sandbox up in ${Date.now() - started} ms
  GitLab API          ${endpoints.gitlab.url}/api/v4
  GitHub API          ${endpoints.github.apiUrl}
  AWS Secrets Manager ${endpoints.aws.endpoint}  (region ${endpoints.aws.region})
  GCP Secret Manager  ${endpoints.gcp.endpoint}  (gRPC, plaintext; project ${endpoints.gcp.project})
  Amazon SQS          ${endpoints.sqs.endpoint}  (region ${endpoints.aws.region})
  GCP Pub/Sub         ${endpoints.pubsub.endpoint}  (gRPC, plaintext)
  Container registry  ${registry}
Admin credentials are in .sandbox/endpoints.json (sandbox-only values).
Faults: POST/PUT/DELETE /__sandbox/faults on any HTTP emulator. Ctrl-C stops.`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the sandbox`);
  await sandbox.close();
  await rm('.sandbox/endpoints.json', { force: true });
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
