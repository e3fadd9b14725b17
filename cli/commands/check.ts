/**
 * `credrot check`: evaluate every watched credential and print a table, JSON or
 * Prometheus metrics, exiting with a code a cron job or pipeline can act on.
 */
import { resolve } from 'node:path';

import { byUrgency, exitCodeFor, type Finding } from '../../shared/check/finding.js';
import {
  formatJson,
  formatPrometheus,
  formatTable,
  OUTPUT_FORMATS,
  type OutputFormat,
} from '../../shared/check/format.js';
import { scan } from '../../shared/check/scan.js';
import type { Config } from '../../shared/config/load.js';
import { loadConfig } from '../../shared/config/load.js';
import type { Thresholds } from '../../shared/expiry/types.js';
import { parseDuration } from '../../shared/util/duration.js';
import { type Command, type CommandIo, parseCommandArgs, UsageError } from '../command.js';

const HELP = `Usage: credrot check [options]

Evaluate every credential the configuration names and print them, most urgent first:
expired, not-yet-valid, critical, unknown, warning, ok.

- watchers: certificates, bundles, kubeconfigs, webhook caBundles, JWTs, Docker configs
  and TLS endpoints;
- credentials (unless --offline): the expiry GitLab reports for the value consumers hold
  now, whether it is due for rotation (as 'credrot plan' decides), what every store holds,
  and the store's own rotation schedule or expiry (AWS DescribeSecret; GCP expire_time and
  next_rotation_time). A credential with no stored value yet is reported as unknown.
- discovery (unless --offline): every active personal, project and group access token of
  a GitLab instance that expires within the warning threshold and that no credential of
  the configuration rotates, found with an administrator's token in about one API call
  per hundred such tokens.

Options:
  -c, --config <file>     configuration file (default: $CREDROT_CONFIG, else ./credrot.config.yaml)
  -f, --format <format>   table (default), json or prometheus
      --offline           check the watchers only: no network, no credentials, no discovery
      --warn <duration>   warning threshold, e.g. 30d; overrides the configuration
      --critical <dur>    critical threshold, e.g. 7d; overrides the configuration
      --now <instant>     evaluate as of this ISO 8601 instant instead of the current time,
                          e.g. 2025-06-01T00:00:00Z (for reproducible reports and tests)
      --timeout <dur>     per TLS endpoint handshake, and per credential for its API calls
                          (default 10s)
  -h, --help              show this help

Durations: a number and a unit, s m h d w (45s, 90m, 12h, 30d, 2w).

Status: expired (now >= notAfter, or GitLab reports the value revoked), not-yet-valid
(now < notBefore), critical (less than the critical threshold left), warning (less than
the warning threshold left), ok, and unknown (no expiry information, no stored value yet,
or the input could not be read: the error names the file or the connection and the fix).
DUE says whether the credential has reached its renewal time: renewBefore when
configured and shorter than the lifetime, else when a third of its lifetime remains.

Exit codes:
  0  every credential is ok
  1  at least one warning, or a credential without expiry information or stored value
  2  at least one critical, expired or not-yet-valid credential, an unreadable input or
     unreachable connection, or a configuration or usage error

Secret values are never printed: only SHA-256 fingerprints (first 8 hex characters).
`;

export const checkCommand: Command = {
  name: 'check',
  summary: 'report when every watched and rotated credential expires, most urgent first',
  help: HELP,
  run: runCheck,
};

async function runCheck(args: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(checkCommand, args, io, {
    config: { type: 'string', short: 'c' },
    format: { type: 'string', short: 'f' },
    warn: { type: 'string' },
    critical: { type: 'string' },
    now: { type: 'string' },
    timeout: { type: 'string' },
    offline: { type: 'boolean' },
  });
  if (!parsed) return 0;
  const { values } = parsed;
  const format = formatOf(values.format);
  const thresholds = thresholdsOf(values.warn, values.critical);
  const now = values.now === undefined ? io.now() : instantOf(values.now);
  const timeoutMs =
    values.timeout === undefined ? undefined : durationOf('--timeout', values.timeout);

  const file = resolve(io.cwd, values.config ?? io.env['CREDROT_CONFIG'] ?? 'credrot.config.yaml');
  const config = await loadConfig(file);
  const live =
    values.offline !== true && (config.credentials.length > 0 || config.discovery.length > 0);
  const [watched, credentials] = await Promise.all([
    scan(config, {
      now,
      cwd: io.cwd,
      ...(thresholds ? { thresholds } : {}),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    }),
    live ? checkLive(config, io, now, thresholds, timeoutMs) : [],
  ]);
  const findings = [...watched, ...credentials].sort(byUrgency);

  if (format === 'json') io.stdout(formatJson(findings, now));
  else if (format === 'prometheus') io.stdout(formatPrometheus(findings));
  else io.stdout(formatTable(findings, now));
  return exitCodeFor(findings);
}

/**
 * The credentials' half. Imported on demand: it loads the GitLab, AWS and GCP SDKs,
 * which `--offline` (and a configuration without credentials) never needs.
 */
async function checkLive(
  config: Config,
  io: CommandIo,
  now: Date,
  overrides: Partial<Thresholds> | undefined,
  timeoutMs: number | undefined,
): Promise<Finding[]> {
  const { checkCredentials } = await import('../../shared/check/live.js');
  return checkCredentials(config, {
    now,
    env: io.env,
    thresholds: { ...config.defaults.thresholds, ...overrides },
    ...(overrides ? { overrides } : {}),
    timeoutMs: timeoutMs ?? 10_000,
  });
}

function formatOf(value: string | undefined): OutputFormat {
  if (value === undefined) return 'table';
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, not '${value}'`);
}

function durationOf(flag: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

function thresholdsOf(
  warn: string | undefined,
  critical: string | undefined,
): Partial<Thresholds> | undefined {
  if (warn === undefined && critical === undefined) return undefined;
  const thresholds: Partial<Thresholds> = {};
  if (warn !== undefined) thresholds.warningMs = durationOf('--warn', warn);
  if (critical !== undefined) thresholds.criticalMs = durationOf('--critical', critical);
  if (
    thresholds.warningMs !== undefined &&
    thresholds.criticalMs !== undefined &&
    thresholds.criticalMs > thresholds.warningMs
  ) {
    throw new UsageError(`--critical (${critical}) must not be longer than --warn (${warn})`);
  }
  return thresholds;
}

function instantOf(value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(
      `--now must be an ISO 8601 instant such as 2025-06-01T00:00:00Z, not '${value}'`,
    );
  }
  return date;
}
