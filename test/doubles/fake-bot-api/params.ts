import { badRequest } from './errors.ts';
import type { UploadedFile } from './multipart.ts';
import type { Params } from './recorder.ts';

/** Fields Telegram reads as integers; form fields arrive as text. */
const INTEGER_FIELDS = new Set([
  'chat_id',
  'message_id',
  'message_thread_id',
  'reply_to_message_id',
  'offset',
  'limit',
  'timeout',
  'cache_time',
  'max_connections',
  'duration',
  'width',
  'height',
  'user_id',
  'subscription_period',
  'photo_size',
  'photo_width',
  'photo_height',
  'max_tip_amount',
]);

/** Fields Telegram reads as booleans. */
const BOOLEAN_FIELDS = new Set([
  'disable_notification',
  'protect_content',
  'has_spoiler',
  'show_caption_above_media',
  'show_alert',
  'is_personal',
  'drop_pending_updates',
  'allow_sending_without_reply',
  'disable_web_page_preview',
  'ok',
]);

/**
 * Turns form fields (multipart or urlencoded, all text) into the values a JSON body would carry:
 * JSON objects and arrays are parsed (Telegram parses `reply_markup`, `media`, `entities` the same
 * way), integer and boolean fields are converted, and `attach://name` references, as well as
 * file parts named after a parameter, become the uploaded files.
 */
export function paramsFromForm(fields: Map<string, string>, files: Map<string, UploadedFile>): Params {
  const params: Params = {};
  for (const [key, text] of fields) params[key] = fieldValue(key, text);
  for (const [name, file] of files) {
    if (!(name in params)) params[name] = file;
  }
  return resolveAttachments(params, files) as Params;
}

/** Replaces `attach://name` strings anywhere in a value with the uploaded part of that name. */
export function resolveAttachments(value: unknown, files: Map<string, UploadedFile>): unknown {
  if (typeof value === 'string' && value.startsWith('attach://')) {
    const file = files.get(value.slice('attach://'.length));
    if (!file) throw badRequest("can't parse InputMedia: media not found");
    return file;
  }
  if (Array.isArray(value)) return value.map((item) => resolveAttachments(item, files));
  if (isUpload(value)) return value;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveAttachments(item, files)]),
    );
  }
  return value;
}

function fieldValue(key: string, text: string): unknown {
  if (INTEGER_FIELDS.has(key) && /^-?\d+$/.test(text)) return Number(text);
  if (BOOLEAN_FIELDS.has(key)) return text === 'true' || text === '1';
  if (/^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** True for a file part (as opposed to a file_id or URL string). */
export function isUpload(value: unknown): value is UploadedFile {
  return typeof value === 'object' && value !== null && Buffer.isBuffer((value as { data?: unknown }).data);
}

/** A text parameter; numbers are accepted as Telegram accepts them. */
export function optionalString(params: Params, key: string): string | undefined {
  const value = params[key];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string'
    ? value
    : typeof value === 'number'
      ? String(value)
      : JSON.stringify(value);
}

/** An integer parameter, or undefined when absent; text that is not an integer is refused. */
export function optionalInt(params: Params, key: string): number | undefined {
  const value = params[key];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number)) throw badRequest(`invalid ${key} specified`);
  return number;
}

/** A boolean parameter; Telegram reads `true`, `1` and `"true"` as true. */
export function optionalBool(params: Params, key: string): boolean {
  const value = params[key];
  return value === true || value === 1 || value === 'true' || value === '1';
}

/** A list parameter (JSON array, or its text form). */
export function optionalArray(params: Params, key: string): unknown[] | undefined {
  let value = params[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw badRequest(`can't parse ${key} JSON object`);
    }
  }
  if (!Array.isArray(value)) throw badRequest(`field "${key}" must be an Array`);
  return value;
}
