import type { InlineKeyboardMarkup } from 'grammy/types';
import { badRequest } from './errors.ts';

/** Any `reply_markup` Telegram accepts; only inline keyboards come back inside a `Message`. */
export type ReplyMarkup = Record<string, unknown>;

/** Button kinds other than `callback_data` and `url` that make an inline button valid. */
const OTHER_ACTIONS = [
  'login_url',
  'web_app',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
];

/**
 * Validates `reply_markup` as Telegram does before anything is sent: the markup arrives either as
 * an object (JSON body) or as a JSON string (form fields). Inline buttons need exactly one action;
 * `callback_data` is 1–64 bytes of UTF-8 (a 22-character emoji string is 88 bytes and fails);
 * URL buttons accept only `http(s)://` and `tg://` links.
 */
export function readReplyMarkup(raw: unknown): ReplyMarkup | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let markup: unknown = raw;
  if (typeof raw === 'string') {
    try {
      markup = JSON.parse(raw);
    } catch {
      throw badRequest("can't parse reply keyboard markup JSON object");
    }
  }
  if (typeof markup !== 'object' || markup === null || Array.isArray(markup)) {
    throw badRequest("can't parse reply keyboard markup JSON object");
  }
  const record = markup as ReplyMarkup;
  if ('inline_keyboard' in record) validateInlineKeyboard(record.inline_keyboard);
  return record;
}

/** The inline keyboard of a markup, which is what a sent `Message` carries as `reply_markup`. */
export function inlineKeyboardOf(markup: ReplyMarkup | undefined): InlineKeyboardMarkup | undefined {
  return markup && 'inline_keyboard' in markup ? (markup as unknown as InlineKeyboardMarkup) : undefined;
}

function validateInlineKeyboard(rows: unknown): void {
  if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  }
  for (const row of rows as unknown[][]) {
    for (const button of row) validateInlineButton(button);
  }
}

function validateInlineButton(button: unknown): void {
  if (typeof button !== 'object' || button === null) {
    throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Object");
  }
  const fields = button as Record<string, unknown>;
  if (typeof fields.text !== 'string') {
    throw badRequest('can\'t parse inline keyboard button: Field "text" must be of type String');
  }
  if ('callback_data' in fields) {
    const data = fields.callback_data;
    const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : 0;
    if (bytes < 1 || bytes > 64) throw badRequest('BUTTON_DATA_INVALID');
    return;
  }
  if ('url' in fields) {
    validateButtonUrl(String(fields.url));
    return;
  }
  if (!OTHER_ACTIONS.some((action) => action in fields)) {
    throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
  }
}

function validateButtonUrl(url: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    // Telegram reads a link without a scheme as http://; it must at least look like a host.
    if (!/^[\w-]+(\.[\w-]+)+(:\d+)?([/?#]|$)/.test(url)) {
      throw badRequest(`inline keyboard button URL '${url}' is invalid: Wrong HTTP URL`);
    }
    return;
  }
  if (scheme === 'http' || scheme === 'https') {
    if (!/^https?:\/\/[^/?#\s]+/i.test(url)) {
      throw badRequest(`inline keyboard button URL '${url}' is invalid: Wrong HTTP URL`);
    }
    return;
  }
  if (scheme !== 'tg') {
    throw badRequest(`inline keyboard button URL '${url}' is invalid: Unsupported URL protocol`);
  }
}
