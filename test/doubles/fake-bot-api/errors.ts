import type { ResponseParameters } from 'grammy/types';

/**
 * A refusal worded the way Telegram words it. The HTTP status equals `error_code`, and
 * `description` is sent verbatim, so grammY turns it into a `GrammyError` with the same fields a
 * bot would see in production.
 */
export class BotApiError extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly parameters?: ResponseParameters,
  ) {
    super(description);
    this.name = 'BotApiError';
  }
}

/** `400 Bad Request: <detail>`, Telegram's most common refusal. */
export function badRequest(detail: string): BotApiError {
  return new BotApiError(400, `Bad Request: ${detail}`);
}

/** `403 Forbidden: <detail>`, e.g. a user who blocked the bot. */
export function forbidden(detail: string): BotApiError {
  return new BotApiError(403, `Forbidden: ${detail}`);
}

/** `409 Conflict: <detail>`, for competing update consumers. */
export function conflict(detail: string): BotApiError {
  return new BotApiError(409, `Conflict: ${detail}`);
}

/** `429 Too Many Requests`, with `retry_after` in both the text and `parameters`, as Telegram sends it. */
export function tooManyRequests(retryAfterSeconds: number): BotApiError {
  return new BotApiError(429, `Too Many Requests: retry after ${retryAfterSeconds}`, {
    retry_after: retryAfterSeconds,
  });
}

/** `400 Bad Request: can't parse entities: <detail>`, for text that `parse_mode` cannot read. */
export function cantParseEntities(detail: string): BotApiError {
  return badRequest(`can't parse entities: ${detail}`);
}

/** TDLib reports positions in formatted text as UTF-8 byte offsets into the source. */
export function byteOffset(source: string, index: number): number {
  return Buffer.byteLength(source.slice(0, index), 'utf8');
}
