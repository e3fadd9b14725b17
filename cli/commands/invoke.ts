/**
 * `credrot invoke <function> --event <file>`: runs a deployed function's handler locally
 * with an event file, against the configuration given (as the function would read it from
 * CREDROT_CONFIG). Logs go to stderr as JSON lines; the handler's answer to stdout. A
 * configuration without a queue gets an in-memory one, whose jobs are printed.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig } from '../../shared/config/load.js';
import { MemoryJobQueue } from '../../shared/jobs/memory-queue.js';
import { jsonLineLog } from '../../shared/metrics/log.js';
import { memoryMetrics } from '../../shared/metrics/metrics.js';
import { safeMessage } from '../../shared/rotation/engine.js';
import { type Command, type CommandIo, parseCommandArgs, UsageError } from '../command.js';

type Handler = (event: never) => Promise<unknown>;

/** Function name → the module and export that serves it (the names serverless.yml uses). */
const FUNCTIONS: Record<string, () => Promise<Handler>> = {
  scheduledScan: async () => (await import('../../functions/aws/scheduled-scan.js')).handler,
  rotationWorker: async () => (await import('../../functions/aws/rotation-worker.js')).handler,
  gitlabWebhook: async () => (await import('../../functions/aws/gitlab-webhook.js')).handler,
  githubWebhook: async () => (await import('../../functions/aws/github-webhook.js')).handler,
  secretsManagerRotation: async () =>
    (await import('../../functions/aws/secrets-manager-rotation.js')).handler,
  'gcp:scheduledScan': async () =>
    (await import('../../functions/gcp/index.js')).scheduledScanEvent,
  'gcp:rotationWorker': async () =>
    (await import('../../functions/gcp/index.js')).rotationWorkerEvent,
  'gcp:secretRotate': async () => (await import('../../functions/gcp/index.js')).secretRotateEvent,
};

const HELP = `Usage: credrot invoke <function> --event <file> [options]

Run a deployed function's handler locally with an event file (samples in events/), using
the configuration as the function would (its connections, stores and queue).

Functions:
  ${Object.keys(FUNCTIONS).join('\n  ')}

Options:
  -e, --event <file>   the event as the platform delivers it (JSON)
  -c, --config <file>  configuration file (default: $CREDROT_CONFIG, else ./credrot.config.yaml)
  -h, --help           show this help

Exit codes:
  0  the handler returned (its answer is printed, e.g. an HTTP status or batchItemFailures)
  1  the handler threw (the platform would retry the event)
  2  configuration or usage error
`;

export const invokeCommand: Command = {
  name: 'invoke',
  summary: 'run a deployed function locally with an event file',
  help: HELP,
  run: runInvoke,
};

async function runInvoke(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(
    invokeCommand,
    args,
    io,
    { event: { type: 'string', short: 'e' }, config: { type: 'string', short: 'c' } },
    true,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const [name, ...extra] = positionals;
  const load = name ? FUNCTIONS[name] : undefined;
  if (!name || !load || extra.length > 0)
    throw new UsageError(
      `name one function: ${Object.keys(FUNCTIONS).join(', ')} (see 'credrot invoke --help')`,
    );
  if (!values.event) throw new UsageError('--event <file> is required (samples in events/)');
  let event: unknown;
  const eventFile = resolve(io.cwd, values.event);
  try {
    event = JSON.parse(await readFile(eventFile, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${eventFile}: ${code === 'ENOENT' ? 'no such file' : 'not a JSON event file'}`,
    );
  }
  const configFile = resolve(
    io.cwd,
    values.config ?? io.env['CREDROT_CONFIG'] ?? 'credrot.config.yaml',
  );
  const config = await loadConfig(configFile);
  const memory = config.queue ? undefined : new MemoryJobQueue();

  const { configureRuntime } = await import('../../functions/lib/runtime.js');
  configureRuntime({
    env: { ...io.env, CREDROT_CONFIG: configFile },
    log: jsonLineLog(io.stderr, { function: name }),
    metrics: memoryMetrics(),
    now: io.now,
    ...(memory ? { queue: memory } : {}),
  });
  const handler = await load();
  try {
    const result = await handler(event as never);
    const out = { result: result ?? null, ...(memory ? { enqueued: memory.jobs } : {}) };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } catch (err) {
    io.stderr(`credrot: ${name} threw ${safeMessage(err)}\n`);
    if (memory) io.stdout(`${JSON.stringify({ enqueued: memory.jobs }, null, 2)}\n`);
    return 1;
  } finally {
    configureRuntime();
  }
}
