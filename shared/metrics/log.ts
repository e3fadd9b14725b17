/**
 * The logger the core writes to. Powertools Logger satisfies it on AWS; on GCP and in the
 * CLI `jsonLineLog` writes one JSON object per line, which Cloud Logging parses into
 * `jsonPayload` (with `severity` and `message` recognised as such). Fields never carry a
 * secret value: at most a fingerprint.
 *
 * https://cloud.google.com/logging/docs/structured-logging
 */

export type LogFields = Record<string, unknown>;

export interface Log {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A log that writes JSON lines through `write` (stdout on GCP), with `base` in every line. */
export function jsonLineLog(write: (line: string) => void, base: LogFields = {}): Log {
  const line = (severity: string, message: string, fields?: LogFields) =>
    write(`${JSON.stringify({ severity, message, ...base, ...fields })}\n`);
  return {
    info: (m, f) => line('INFO', m, f),
    warn: (m, f) => line('WARNING', m, f),
    error: (m, f) => line('ERROR', m, f),
  };
}

/** A log that keeps every entry, for tests. */
export function memoryLog(): Log & {
  entries: Array<{ level: string; message: string; fields?: LogFields }>;
} {
  const entries: Array<{ level: string; message: string; fields?: LogFields }> = [];
  const add = (level: string) => (message: string, fields?: LogFields) => {
    entries.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { entries, info: add('info'), warn: add('warn'), error: add('error') };
}
