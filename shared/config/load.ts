/**
 * Reads `credrot.config.yaml` once at the edge, validates it, and returns a normalized
 * configuration: durations in milliseconds, paths absolute, every connection reference
 * resolved. Every problem becomes one line `path.in.file (line N): what is wrong`, so that
 * a person can fix them all in one pass.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import {
  isRegistryKind,
  registryConfigProblems,
  sourceConnectionType,
} from '../registry/config-checks.js';
import {
  ACCESS_LEVELS,
  type Credential,
  configSchema,
  type DiscoverySpec,
  type NotifierSpec,
  type ParsedConfig,
  type QueueSpec,
  type SinkSpec,
  type StoreSpec,
  type WatcherSpec,
  type WebhooksSpec,
} from './schema.js';

export interface Thresholds {
  /** Warn when less than this remains, in ms. */
  warningMs: number;
  /** Critical when less than this remains, in ms. */
  criticalMs: number;
}

export interface Watcher {
  name: string;
  kind: WatcherSpec['kind'];
  /** Absolute path. */
  path?: string;
  url?: string;
  thresholds?: Partial<Thresholds>;
}

/** A discovery entry, its connection resolved and its thresholds in milliseconds. */
export interface Discovery {
  name: string;
  kind: DiscoverySpec['kind'];
  connection: string;
  thresholds?: Partial<Thresholds>;
}

/** A credential with every connection name filled in and its access level as a number. */
export type ResolvedCredential = Omit<Credential, 'source' | 'stores' | 'sinks' | 'policy'> & {
  source: Credential['source'] & { connection: string };
  policy: Omit<Credential['policy'], 'accessLevel'> & { accessLevel?: number };
  stores: Array<StoreSpec & { connection: string }>;
  sinks: Array<SinkSpec & { connection: string }>;
};

export interface Config {
  /** Absolute path of the file this came from. */
  file: string;
  defaults: { thresholds: Thresholds; renewBefore?: number };
  connections: ParsedConfig['connections'];
  credentials: ResolvedCredential[];
  watchers: Watcher[];
  /** Instance-wide token discovery, each with its GitLab connection resolved. */
  discovery: Discovery[];
  /** Webhook receivers (deployed functions only); the GitHub connection name is resolved. */
  webhooks: WebhooksSpec;
  /** The rotation job queue (deployed functions only), its AWS connection resolved for SQS. */
  queue?: QueueSpec & { connection?: string };
  /** Notifiers; a gitlab-issue notifier's connection is resolved. */
  notifications: { notifiers: Array<NotifierSpec & { connection?: string }> };
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  warningMs: 30 * 86_400_000,
  criticalMs: 7 * 86_400_000,
};
/** GitLab refuses access tokens that live longer than this. */
const MAX_TOKEN_LIFETIME_MS = 365 * 86_400_000;

/** The path from `--config`, else `CREDROT_CONFIG`, else `./credrot.config.yaml`. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env['CREDROT_CONFIG'] ?? 'credrot.config.yaml');
}

/** Loads and validates a configuration file; throws ConfigError with one line per problem. */
export async function loadConfig(file: string): Promise<Config> {
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? 'unknown error'})`;
    throw new ConfigError(`${absolute}: ${why}; pass --config <file> or set CREDROT_CONFIG`, [
      `${absolute}: ${why}; pass --config <file> or set CREDROT_CONFIG`,
    ]);
  }
  return parseConfig(text, absolute);
}

/** Validates configuration text; `file` names it in messages and anchors relative paths. */
export function parseConfig(text: string, file: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const at = e.linePos?.[0];
      return `${file}${at ? `:${at.line}:${at.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(`invalid configuration in ${file}`, problems);
  }
  const lineOf = (path: PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };

  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      `invalid configuration in ${file}`,
      formatIssues(parsed.error.issues, lineOf),
    );
  }
  const problems: Array<[PropertyKey[], string]> = [];
  const config = normalize(parsed.data, dirname(file), file, problems);
  if (problems.length > 0) {
    throw new ConfigError(
      `invalid configuration in ${file}`,
      problems.map(([path, message]) => withLine(formatPath(path), lineOf(path), message)),
    );
  }
  return config;
}

function formatIssues(
  issues: z.core.$ZodIssue[],
  lineOf: (p: PropertyKey[]) => number | undefined,
): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        out.push(
          withLine(
            formatPath(path),
            lineOf(path),
            'unknown key (check its spelling against credrot.config.schema.json)',
          ),
        );
      }
      continue;
    }
    out.push(withLine(formatPath(issue.path), lineOf(issue.path), describe(issue)));
  }
  return out;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined'))
    return 'is required';
  return issue.message.replace(/^Invalid input: /, '');
}

/** `credentials[2].sinks[0].key` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

function withLine(path: string, line: number | undefined, message: string): string {
  return `${path}: ${message}${line ? `, at line ${line}` : ''}`;
}

function normalize(
  data: ParsedConfig,
  base: string,
  file: string,
  problems: Array<[PropertyKey[], string]>,
): Config {
  const names = new Map<string, string>();
  const claim = (kind: string, name: string, path: PropertyKey[]) => {
    const previous = names.get(name);
    if (previous)
      problems.push([path, `name "${name}" is already used by ${previous}; names must be unique`]);
    else names.set(name, `${kind} ${formatPath(path.slice(0, 2))}`);
  };

  const pick = (
    type: keyof ParsedConfig['connections'],
    given: string | undefined,
    path: PropertyKey[],
  ): string => {
    const available = Object.keys(data.connections[type]);
    if (given !== undefined) {
      if (!available.includes(given)) {
        problems.push([
          path,
          `names connections.${type}.${given}, which is not defined (defined: ${available.join(', ') || 'none'})`,
        ]);
      }
      return given;
    }
    if (available.length === 1) return available[0]!;
    problems.push([
      path,
      available.length === 0
        ? `needs a ${type} connection: add connections.${type}.<name>`
        : `must say which connections.${type} to use (one of ${available.join(', ')})`,
    ]);
    return '';
  };

  const credentials = data.credentials.map((c, i): ResolvedCredential => {
    const at: PropertyKey[] = ['credentials', i];
    claim('credential', c.name, [...at, 'name']);
    checkSource(c, at, problems);
    checkPolicy(c, at, problems);
    for (const [path, message] of registryConfigProblems(c))
      problems.push([[...at, ...path], message]);
    const stores = c.stores.map((s, j) => ({
      ...s,
      connection: pick(s.type === 'aws-secrets-manager' ? 'aws' : 'gcp', s.connection, [
        ...at,
        'stores',
        j,
      ]),
    }));
    const sinks = c.sinks.map((s, j) => {
      checkSink(s, [...at, 'sinks', j], problems);
      return {
        ...s,
        connection: pick(s.type === 'gitlab-variable' ? 'gitlab' : 'github', s.connection, [
          ...at,
          'sinks',
          j,
        ]),
      };
    });
    const level = c.policy.accessLevel;
    return {
      ...c,
      source: {
        ...c.source,
        connection: sourceConnection(c, (type) =>
          pick(type, c.source.connection, [...at, 'source']),
        ),
      },
      policy: {
        ...c.policy,
        accessLevel: typeof level === 'string' ? ACCESS_LEVELS[level] : level,
      },
      stores,
      sinks,
    };
  });

  const watchers = data.watchers.map((w, i): Watcher => {
    const at: PropertyKey[] = ['watchers', i];
    claim('watcher', w.name, [...at, 'name']);
    if (w.kind === 'tls-endpoint' && !w.url)
      problems.push([at, 'a tls-endpoint watcher needs url: https://host[:port]']);
    if (w.kind !== 'tls-endpoint' && !w.path)
      problems.push([at, `a ${w.kind} watcher needs path: <file>`]);
    const out: Watcher = { name: w.name, kind: w.kind };
    if (w.path) out.path = isAbsolute(w.path) ? w.path : resolve(base, w.path);
    if (w.url) out.url = w.url;
    if (w.thresholds)
      out.thresholds = { warningMs: w.thresholds.warning, criticalMs: w.thresholds.critical };
    return out;
  });

  const discovery = data.discovery.map((d, i): Discovery => {
    const at: PropertyKey[] = ['discovery', i];
    claim('discovery', d.name, [...at, 'name']);
    const out: Discovery = {
      name: d.name,
      kind: d.kind,
      connection: pick('gitlab', d.connection, at),
    };
    if (d.thresholds)
      out.thresholds = { warningMs: d.thresholds.warning, criticalMs: d.thresholds.critical };
    return out;
  });

  const thresholds: Thresholds = {
    warningMs: data.defaults.thresholds.warning ?? DEFAULT_THRESHOLDS.warningMs,
    criticalMs: data.defaults.thresholds.critical ?? DEFAULT_THRESHOLDS.criticalMs,
  };
  if (thresholds.criticalMs > thresholds.warningMs) {
    problems.push([['defaults', 'thresholds'], 'critical must not be longer than warning']);
  }
  const defaults: Config['defaults'] = { thresholds };
  if (data.defaults.renewBefore !== undefined) defaults.renewBefore = data.defaults.renewBefore;
  const webhooks: WebhooksSpec = { ...data.webhooks };
  if (data.webhooks.github) {
    webhooks.github = {
      ...data.webhooks.github,
      connection: pick('github', data.webhooks.github.connection, ['webhooks', 'github']),
    };
  }
  let queue: Config['queue'];
  if (data.queue?.type === 'sqs')
    queue = { ...data.queue, connection: pick('aws', data.queue.connection, ['queue']) };
  else if (data.queue) queue = data.queue;
  const notifiers = data.notifications.notifiers.map((n, i) =>
    n.type === 'gitlab-issue'
      ? {
          ...n,
          connection: pick('gitlab', n.connection, ['notifications', 'notifiers', i]),
        }
      : n,
  );
  return {
    file,
    defaults,
    connections: data.connections,
    credentials,
    watchers,
    discovery,
    webhooks,
    ...(queue ? { queue } : {}),
    notifications: { notifiers },
  };
}

function checkSource(
  c: Credential,
  at: PropertyKey[],
  problems: Array<[PropertyKey[], string]>,
): void {
  const { project, group } = c.source;
  const path = [...at, 'source'];
  switch (c.kind) {
    case 'gitlab-project-access-token':
      if (project === undefined || group !== undefined)
        problems.push([
          path,
          'a project access token needs project: <id or full path> (and no group)',
        ]);
      break;
    case 'gitlab-group-access-token':
      if (group === undefined || project !== undefined)
        problems.push([
          path,
          'a group access token needs group: <id or full path> (and no project)',
        ]);
      break;
    case 'gitlab-personal-access-token':
      if (project !== undefined || group !== undefined)
        problems.push([path, 'a personal access token belongs to a user: remove project/group']);
      break;
    case 'gitlab-deploy-token':
      if ((project === undefined) === (group === undefined))
        problems.push([path, 'a deploy token needs exactly one of project or group']);
      break;
  }
  if (
    c.source.username !== undefined &&
    c.kind !== 'gitlab-deploy-token' &&
    c.kind !== 'registry-basic-auth'
  ) {
    problems.push([[...path, 'username'], 'only deploy tokens have a username']);
  }
}

function checkPolicy(
  c: Credential,
  at: PropertyKey[],
  problems: Array<[PropertyKey[], string]>,
): void {
  const p = c.policy;
  const path = [...at, 'policy'];
  if (
    c.kind !== 'gitlab-deploy-token' &&
    !isRegistryKind(c.kind) &&
    p.lifetime > MAX_TOKEN_LIFETIME_MS
  ) {
    problems.push([
      [...path, 'lifetime'],
      'must be at most 365d: GitLab refuses longer-lived access tokens',
    ]);
  }
  if (p.lifetime < 86_400_000)
    problems.push([
      [...path, 'lifetime'],
      'must be at least 1d: GitLab expiry dates are whole days',
    ]);
  if (p.renewBefore !== undefined && p.renewBefore >= p.lifetime) {
    problems.push([
      [...path, 'renewBefore'],
      'must be shorter than lifetime, or every new credential is due at once',
    ]);
  }
  if (p.gracePeriod >= p.lifetime)
    problems.push([[...path, 'gracePeriod'], 'must be shorter than lifetime']);
  if (p.strategy === 'rotate' && isRegistryKind(c.kind)) {
    problems.push([[...path, 'strategy'], `a ${c.kind} has no rotate endpoint: use recreate`]);
  }
  if (p.strategy === 'rotate' && c.kind === 'gitlab-deploy-token') {
    problems.push([
      [...path, 'strategy'],
      'deploy tokens have no rotate endpoint in GitLab: use recreate',
    ]);
  }
  if (c.kind === 'gitlab-deploy-token' && p.accessLevel !== undefined) {
    problems.push([
      [...path, 'accessLevel'],
      'deploy tokens have scopes, not an access level: remove it',
    ]);
  }
}

function checkSink(s: SinkSpec, at: PropertyKey[], problems: Array<[PropertyKey[], string]>): void {
  if (s.type === 'gitlab-variable') {
    const levels = [s.project !== undefined, s.group !== undefined, s.instance === true].filter(
      Boolean,
    ).length;
    if (levels !== 1)
      problems.push([
        at,
        'a gitlab-variable sink needs exactly one of project, group or instance: true',
      ]);
    if (s.instance && s.environmentScope !== '*') {
      problems.push([
        [...at, 'environmentScope'],
        'instance variables have no environment scope: remove it',
      ]);
    }
    if (s.hidden && !s.masked)
      problems.push([
        [...at, 'hidden'],
        'a hidden variable must also be masked (GitLab: masked_and_hidden)',
      ]);
    return;
  }
  if ((s.repository === undefined) === (s.organization === undefined)) {
    problems.push([
      at,
      'a github-secret sink needs exactly one of repository: owner/name or organization: <login>',
    ]);
  }
  if (s.environment !== undefined && s.repository === undefined) {
    problems.push([
      [...at, 'environment'],
      'environment secrets belong to a repository: add repository: owner/name',
    ]);
  }
  if (s.visibility !== undefined && s.organization === undefined) {
    problems.push([[...at, 'visibility'], 'only organization secrets have a visibility']);
  }
  if ((s.visibility === 'selected') !== (s.selectedRepositories !== undefined)) {
    problems.push([
      [...at, 'selectedRepositories'],
      'is required with visibility: selected, and only then',
    ]);
  }
}

/** The connection a credential's source uses ('' for kinds that need none, such as registry-basic-auth). */
function sourceConnection(c: Credential, pick: (type: 'gitlab' | 'aws') => string): string {
  const type = sourceConnectionType(c.kind);
  return type ? pick(type) : '';
}
