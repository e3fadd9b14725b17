/**
 * One error hierarchy for the whole core. Every message names the problem and the fix
 * and never contains a secret value: adapters translate SDK errors into these, copying
 * only status codes, ids and names.
 */
export interface CredrotErrorOptions {
  cause?: unknown;
  /** Non-secret context: credential name, step, status code, ids. */
  context?: Record<string, string | number | boolean | undefined>;
}

export class CredrotError extends Error {
  readonly context: Record<string, string | number | boolean | undefined>;

  constructor(message: string, options: CredrotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CredrotError';
    this.context = options.context ?? {};
  }
}

/** The configuration file is missing, unreadable or invalid. CLI exit code 2. */
export class ConfigError extends CredrotError {
  readonly problems: string[];

  constructor(message: string, problems: string[] = [], options: CredrotErrorOptions = {}) {
    super(message, options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** An input (certificate, JWT, Docker config, token metadata) could not be parsed. */
export class ParseError extends CredrotError {
  constructor(message: string, options: CredrotErrorOptions = {}) {
    super(message, options);
    this.name = 'ParseError';
  }
}

/** A remote API refused or failed a call. `status` is the HTTP (or mapped gRPC) status. */
export class ProviderError extends CredrotError {
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(
    message: string,
    options: CredrotErrorOptions & { status?: number; retryable?: boolean } = {},
  ) {
    super(message, options);
    this.name = 'ProviderError';
    this.status = options.status;
    this.retryable = options.retryable ?? false;
  }
}

/** The caller lacks permission (401/403): retrying will not help, a human must act. */
export class PermissionError extends ProviderError {
  constructor(message: string, options: CredrotErrorOptions & { status?: number } = {}) {
    super(message, { ...options, retryable: false });
    this.name = 'PermissionError';
  }
}

/** The store's secret is not managed by credrot; refusing to write it. */
export class OwnershipError extends CredrotError {
  constructor(message: string, options: CredrotErrorOptions = {}) {
    super(message, options);
    this.name = 'OwnershipError';
  }
}

/** Another run holds the credential's lease. Not a failure: the caller exits cleanly. */
export class LeaseHeldError extends CredrotError {
  readonly holder: string;
  readonly expiresAt: Date;

  constructor(holder: string, expiresAt: Date, options: CredrotErrorOptions = {}) {
    super(
      `rotation already in progress (lease held by ${holder} until ${expiresAt.toISOString()})`,
      options,
    );
    this.name = 'LeaseHeldError';
    this.holder = holder;
    this.expiresAt = expiresAt;
  }
}

/** A new credential failed verification; the old one stays current. */
export class VerificationError extends CredrotError {
  constructor(message: string, options: CredrotErrorOptions = {}) {
    super(message, options);
    this.name = 'VerificationError';
  }
}

/** A sink or store refused a value before anything changed (e.g. cannot be masked). */
export class ValidationError extends CredrotError {
  constructor(message: string, options: CredrotErrorOptions = {}) {
    super(message, options);
    this.name = 'ValidationError';
  }
}
