/**
 * Base of every error this platform raises on purpose. `code` is stable (tests, metrics and the
 * user-facing message key hang on it); `fields` carries what is needed to act on it. Never put a
 * secret in either: errors are logged.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fields: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration variable is missing or malformed; the process must not start. */
export class ConfigError extends AppError {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super('CONFIG_INVALID', `${variable}: ${problem}`, { variable });
  }
}

/**
 * An error that retrying cannot fix (bad input, missing record, a transaction the network refused
 * for good). Job processors turn it into BullMQ's UnrecoverableError and tell the user.
 */
export class PermanentError extends AppError {}

/** A record a job or command names does not exist. */
export class NotFoundError extends PermanentError {
  constructor(entity: string, id: string) {
    super('NOT_FOUND', `${entity} ${id} not found`, { entity, id });
  }
}
