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
