import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** Field paths that never reach a log line, whatever their value. */
const REDACTED_PATHS = [
  'token',
  'secret',
  'seed',
  'privateKey',
  'masterKey',
  'authorization',
  '*.token',
  '*.secret',
  '*.seed',
  '*.privateKey',
  '*.masterKey',
  '*.authorization',
  'headers["x-telegram-bot-api-secret-token"]',
  'headers["x-signer-signature"]',
  '*.headers["x-telegram-bot-api-secret-token"]',
  '*.headers["x-signer-signature"]',
];

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level: string;
  name: string;
  /**
   * Secret values of this process (bot token, auth secrets). They are masked wherever they appear
   * in a line, including inside error messages and URLs (grammY puts the token in request URLs).
   */
  secrets?: readonly (string | undefined)[];
  destination?: DestinationStream;
}

/** Builds a process's root logger. Only `main.ts` calls this; everything else receives a logger. */
export function createLogger(options: LoggerOptions): Logger {
  const secrets = [...new Set(options.secrets ?? [])].filter(
    (value): value is string => !!value && value.length >= 8,
  );
  const masks = secrets.flatMap((value) => [value, encodeURIComponent(value)]);
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      hooks: masks.length
        ? {
            streamWrite: (line) => masks.reduce((text, mask) => text.split(mask).join('[redacted]'), line),
          }
        : {},
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
