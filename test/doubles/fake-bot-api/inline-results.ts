import type { InlineKeyboardMarkup, InlineQueryResultsButton, MessageEntity } from 'grammy/types';
import { badRequest } from './errors.ts';
import { type FormattedText, formatText, textLength } from './formatting.ts';
import { type InvoiceSpec, readInvoice, requirePayButtonFirst } from './invoices.ts';
import { inlineKeyboardOf, readReplyMarkup } from './markup.ts';
import { optionalArray, optionalString } from './params.ts';
import type { Params } from './recorder.ts';
import type { StoredFile, TelegramState } from './telegram-state.ts';

const MAX_RESULTS = 50;
const MAX_ID_BYTES = 64;
const MAX_NEXT_OFFSET_BYTES = 64;
const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
/** Telegram's default and upper bound for how long clients cache an answer, in seconds. */
const DEFAULT_CACHE_TIME = 300;
const MAX_CACHE_TIME = 24 * 60 * 60;
/** Result types the real Bot API accepts that this fake does not model yet. */
const UNMODELLED_TYPES = new Set([
  'audio',
  'contact',
  'document',
  'game',
  'gif',
  'location',
  'mpeg4_gif',
  'sticker',
  'venue',
  'video',
  'voice',
]);

/** What a chosen result posts into the chat. */
export type InlineContent =
  | { kind: 'text'; text: string; entities: MessageEntity[] }
  | { kind: 'photo'; file: StoredFile; caption: FormattedText }
  | { kind: 'invoice'; invoice: InvoiceSpec };

/** One result of an answer, validated and ready to be sent when a user chooses it. */
export interface InlineResult {
  id: string;
  type: 'article' | 'photo';
  /** The result exactly as the bot sent it. */
  raw: Params;
  /** The article's title, or the photo's optional one. */
  title: string | undefined;
  content: InlineContent;
  replyMarkup: InlineKeyboardMarkup | undefined;
}

/** The bot's answer to one inline query. */
export interface InlineAnswer {
  results: InlineResult[];
  nextOffset: string;
  cacheTime: number;
  isPersonal: boolean;
  button: InlineQueryResultsButton | undefined;
  /** Milliseconds from the query being queued to the answer. */
  answeredAfterMs: number;
}

/**
 * Validates an `answerInlineQuery` call as Telegram does and returns the answer to store. The Bot
 * API server first reads every result and wraps what it cannot read as `can't parse inline query
 * result: ...`; then TDLib and Telegram refuse bad ids (`RESULT_ID_INVALID`, `RESULT_ID_DUPLICATE`),
 * an over-long `next_offset`, empty titles, and buttons as for any message (`BUTTON_DATA_INVALID`,
 * "Unsupported URL protocol"). Types the fake does not model (video, gif, ...) fail loudly with a
 * 500 naming the type, so the fake can grow rather than pretend.
 */
export function readInlineAnswer(
  params: Params,
  state: TelegramState,
  answeredAfterMs: number,
): InlineAnswer {
  const rawResults = readResultList(params.results);
  if (rawResults.length > MAX_RESULTS) throw badRequest('too many inline query results specified');
  const parsed = rawResults.map((raw) => parseResult(raw));

  const ids = new Set<string>();
  for (const { id } of parsed) {
    const bytes = Buffer.byteLength(id, 'utf8');
    if (bytes === 0) throw badRequest('RESULT_ID_EMPTY');
    if (bytes > MAX_ID_BYTES) throw badRequest('RESULT_ID_INVALID');
    if (ids.has(id)) throw badRequest('RESULT_ID_DUPLICATE');
    ids.add(id);
  }
  const nextOffset = optionalString(params, 'next_offset') ?? '';
  if (Buffer.byteLength(nextOffset, 'utf8') > MAX_NEXT_OFFSET_BYTES) throw badRequest('NEXT_OFFSET_INVALID');

  const cacheTime = Number(params.cache_time ?? DEFAULT_CACHE_TIME);
  return {
    results: parsed.map((result) => validateResult(result, state)),
    nextOffset,
    cacheTime: Math.min(MAX_CACHE_TIME, Math.max(0, Number.isFinite(cacheTime) ? cacheTime : 0)),
    isPersonal: params.is_personal === true || params.is_personal === 'true',
    button: readButton(params.button),
    answeredAfterMs,
  };
}

interface ParsedResult {
  raw: Params;
  type: 'article' | 'photo';
  id: string;
}

function readResultList(raw: unknown): Params[] {
  let list: unknown[] | undefined;
  try {
    list = optionalArray({ results: raw }, 'results');
  } catch {
    throw badRequest("can't parse JSON encoded inline query results");
  }
  if (list === undefined) return [];
  return list.map((item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw unreadable('Inline query result must be an object');
    }
    return item as Params;
  });
}

/** What the Bot API server itself reads from a result, before TDLib sees it. */
function parseResult(raw: Params): ParsedResult {
  const type = requiredField(raw, 'type').toLowerCase();
  const id = requiredField(raw, 'id');
  if (type === 'article') {
    requiredField(raw, 'title');
    // An article without input_message_content falls back to the legacy `message_text` field.
    if (raw.input_message_content === undefined) requiredField(raw, 'message_text');
    return { raw, type, id };
  }
  if (type === 'photo') {
    if (raw.photo_url === undefined || raw.photo_url === '') requiredField(raw, 'photo_file_id');
    return { raw, type, id };
  }
  if (UNMODELLED_TYPES.has(type)) {
    throw new Error(`The fake Bot API does not model inline query results of type "${type}" yet`);
  }
  throw unreadable(`type "${type}" is unsupported for the inline query result`);
}

/** TDLib's and Telegram's checks of a readable result, and the content it will post. */
function validateResult(result: ParsedResult, state: TelegramState): InlineResult {
  const { raw } = result;
  const markup = readReplyMarkup(raw.reply_markup);
  if (markup && !('inline_keyboard' in markup)) throw badRequest('inline keyboard expected');
  const replyMarkup = inlineKeyboardOf(markup);
  const title = optionalString(raw, 'title');
  if (result.type === 'article' && (title ?? '').trim() === '') throw badRequest('ARTICLE_TITLE_EMPTY');

  let content = messageContent(raw);
  if (!content && result.type === 'photo') content = photoContent(raw, state);
  if (!content) throw badRequest('message text is empty');
  if (content.kind === 'invoice') requirePayButtonFirst(replyMarkup);
  return { id: result.id, type: result.type, raw, title, content, replyMarkup };
}

/** `input_message_content` (or the legacy `message_text`): text or an invoice. */
function messageContent(raw: Params): InlineContent | undefined {
  const content = raw.input_message_content;
  if (content === undefined) {
    if (raw.message_text === undefined) return undefined;
    return textContent(raw);
  }
  if (typeof content !== 'object' || content === null) {
    throw unreadable('Field "input_message_content" must be of type Object');
  }
  const fields = content as Params;
  if ('message_text' in fields) return textContent(fields);
  if ('payload' in fields) return { kind: 'invoice', invoice: readInvoice(fields, { subscriptions: false }) };
  throw new Error(
    `The fake Bot API models only text and invoice input_message_content, not ${JSON.stringify(Object.keys(fields))}`,
  );
}

function textContent(fields: Params): InlineContent {
  const { text, entities } = formatText(
    optionalString(fields, 'message_text') ?? '',
    optionalString(fields, 'parse_mode'),
    optionalArray(fields, 'entities') as MessageEntity[] | undefined,
  );
  if (text === '') throw badRequest('message text is empty');
  if (textLength(text) > TEXT_LIMIT) throw badRequest('MESSAGE_TOO_LONG');
  return { kind: 'text', text, entities };
}

/**
 * A photo result posts the photo itself: by URL (Telegram fetches it later; a URL result also
 * needs a thumbnail URL) or, cached, by the `file_id` of a photo Telegram already has.
 */
function photoContent(raw: Params, state: TelegramState): InlineContent {
  const caption = formatText(
    optionalString(raw, 'caption') ?? '',
    optionalString(raw, 'parse_mode'),
    optionalArray(raw, 'caption_entities') as MessageEntity[] | undefined,
  );
  if (textLength(caption.text) > CAPTION_LIMIT) throw badRequest('MEDIA_CAPTION_TOO_LONG');
  const url = optionalString(raw, 'photo_url');
  if (url !== undefined && url !== '') {
    if (!/^https?:\/\/[^/?#\s]+\.[^/?#\s]+/i.test(url)) throw badRequest('WEBDOCUMENT_URL_INVALID');
    const thumbnail = optionalString(raw, 'thumbnail_url') ?? optionalString(raw, 'thumb_url') ?? '';
    if (thumbnail === '') throw badRequest('PHOTO_THUMB_URL_EMPTY');
    return {
      kind: 'photo',
      file: state.addFile({ data: undefined, url, filename: undefined, width: 0, height: 0 }),
      caption,
    };
  }
  const file = state.files.get(optionalString(raw, 'photo_file_id') ?? '');
  if (!file) throw badRequest("wrong remote file identifier specified: can't unserialize it");
  return { kind: 'photo', file, caption };
}

function readButton(raw: unknown): InlineQueryResultsButton | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw badRequest("can't parse inline query results button JSON object");
    }
  }
  const fields = (typeof value === 'object' && value !== null ? value : {}) as Params;
  const start = optionalString(fields, 'start_parameter');
  if (start !== undefined) {
    if (start === '') throw badRequest("can't use empty start_parameter");
    if (start.length > 64) throw badRequest('too long start_parameter specified');
    if (!/^[A-Za-z0-9_-]+$/.test(start)) throw badRequest('unallowed characters in start_parameter are used');
  }
  return fields as unknown as InlineQueryResultsButton;
}

/** A field the Bot API server requires, as `td::JsonObject` reads it (a number passes as text). */
function requiredField(raw: Params, key: string): string {
  const value = raw[key];
  if (value === undefined || value === null) throw unreadable(`Can't find field "${key}"`);
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw unreadable(`Field "${key}" must be of type String`);
}

function unreadable(detail: string) {
  return badRequest(`can't parse inline query result: ${detail}`);
}
