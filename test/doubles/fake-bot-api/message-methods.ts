import type { Chat, Message, MessageEntity } from 'grammy/types';
import { badRequest } from './errors.ts';
import { type FormattedText, formatText, textLength } from './formatting.ts';
import { imageSize } from './image-size.ts';
import { inlineKeyboardOf, readReplyMarkup } from './markup.ts';
import type { MethodDeps, MethodHandler } from './methods.ts';
import { isUpload, optionalArray, optionalBool, optionalInt, optionalString } from './params.ts';
import type { Params } from './recorder.ts';
import { photoSizes, type StoredFile, type StoredMessage } from './telegram-state.ts';

const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
const QUERY_EXPIRED = 'query is too old and response timeout expired or query ID is invalid';
const CHAT_ACTIONS = new Set([
  'typing',
  'upload_photo',
  'record_video',
  'upload_video',
  'record_voice',
  'upload_voice',
  'upload_document',
  'choose_sticker',
  'find_location',
  'record_video_note',
  'upload_video_note',
]);
const ALBUM_TYPES = new Set(['photo', 'video', 'document', 'audio']);

/** Sending, editing and deleting messages, and answering queries. */
export function messageMethods(deps: MethodDeps): Record<string, MethodHandler> {
  const { state } = deps;
  const date = (): number => Math.floor(deps.now() / 1000);

  /** The fields every message the bot sends shares. */
  const envelope = (chat: Chat, params: Params): Message => {
    const reply = replyTarget(chat, params);
    return {
      message_id: state.nextMessageId(chat.id),
      from: deps.botSender,
      chat,
      date: date(),
      ...(reply ? { reply_to_message: reply } : {}),
    } as Message;
  };

  const replyTarget = (chat: Chat, params: Params): Message | undefined => {
    const reference = params.reply_parameters;
    const fields = (typeof reference === 'object' && reference !== null ? reference : {}) as Params;
    const messageId = optionalInt(fields, 'message_id') ?? optionalInt(params, 'reply_to_message_id');
    if (messageId === undefined) return undefined;
    const target = state.findMessage(chat.id, messageId);
    if (target) {
      // A reply carries the original without its own reply_to_message, as Telegram sends it.
      const { reply_to_message: _nested, ...original } = target.message;
      return original as Message;
    }
    if (
      optionalBool(fields, 'allow_sending_without_reply') ||
      optionalBool(params, 'allow_sending_without_reply')
    ) {
      return undefined;
    }
    throw badRequest('message to be replied not found');
  };

  const messageText = (params: Params): FormattedText => {
    const formatted = formatText(
      optionalString(params, 'text') ?? '',
      optionalString(params, 'parse_mode'),
      entitiesParam(params, 'entities'),
    );
    if (formatted.text === '') throw badRequest('message text is empty');
    if (textLength(formatted.text) > TEXT_LIMIT) throw badRequest('message is too long');
    return formatted;
  };

  const caption = (params: Params): FormattedText => {
    const formatted = formatText(
      optionalString(params, 'caption') ?? '',
      optionalString(params, 'parse_mode'),
      entitiesParam(params, 'caption_entities'),
    );
    if (textLength(formatted.text) > CAPTION_LIMIT) throw badRequest('message caption is too long');
    return formatted;
  };

  /** Resolves an InputFile value: an upload, a known file_id, or an HTTP URL Telegram would fetch. */
  const inputFile = (value: unknown, kind: 'photo' | 'other'): StoredFile => {
    if (isUpload(value)) {
      if (value.data.length === 0) throw badRequest('file must be non-empty');
      const size = kind === 'photo' ? imageSize(value.data) : { width: 0, height: 0 };
      if (!size) throw badRequest('IMAGE_PROCESS_FAILED');
      return state.addFile({ data: value.data, url: undefined, filename: value.filename, ...size });
    }
    if (typeof value !== 'string' || value === '') {
      throw badRequest(`there is no ${kind === 'photo' ? 'photo' : 'file'} in the request`);
    }
    const known = state.files.get(value);
    if (known) return known;
    // The fake never fetches URLs, so their dimensions are unknown (0).
    if (/^https?:\/\/\S+\.\S+/i.test(value)) {
      return state.addFile({ data: undefined, url: value, filename: undefined, width: 0, height: 0 });
    }
    throw badRequest('wrong file identifier/HTTP URL specified');
  };

  const editable = (params: Params): StoredMessage => {
    const chat = state.chatFor(params.chat_id);
    const messageId = optionalInt(params, 'message_id');
    if (messageId === undefined) throw badRequest('message identifier is not specified');
    const stored = state.findMessage(chat.id, messageId);
    if (!stored) throw badRequest('message to edit not found');
    if (!stored.fromBot) throw badRequest("message can't be edited");
    return stored;
  };

  /**
   * Applies an edit unless it changes nothing, which Telegram refuses with "not modified". A
   * change set to undefined removes the field; an omitted `reply_markup` removes the keyboard.
   */
  const applyEdit = (stored: StoredMessage, changes: Partial<Message>, markupParam: unknown): Message => {
    const markup = inlineKeyboardOf(readReplyMarkup(markupParam));
    const { reply_markup: _old, edit_date: _date, ...unchanged } = stored.message;
    const next: Record<string, unknown> = {
      ...unchanged,
      ...changes,
      ...(markup ? { reply_markup: markup } : {}),
    };
    for (const [key, value] of Object.entries(next)) {
      if (value === undefined || (Array.isArray(value) && value.length === 0)) delete next[key];
    }
    const { edit_date: _previous, ...current } = stored.message;
    if (canonicalJson(next) === canonicalJson(current)) throw badRequest(NOT_MODIFIED);
    stored.message = { ...next, edit_date: date() } as unknown as Message;
    stored.edits += 1;
    return stored.message;
  };

  return {
    sendMessage: ({ params }) => {
      const chat = state.chatFor(params.chat_id);
      const { text, entities } = messageText(params);
      const markup = inlineKeyboardOf(readReplyMarkup(params.reply_markup));
      const message = {
        ...envelope(chat, params),
        text,
        ...(entities.length ? { entities } : {}),
        ...(markup ? { reply_markup: markup } : {}),
      } as Message;
      return state.addBotMessage(message).message;
    },

    sendPhoto: ({ params }) => {
      const chat = state.chatFor(params.chat_id);
      const { text, entities } = caption(params);
      const markup = inlineKeyboardOf(readReplyMarkup(params.reply_markup));
      const file = inputFile(params.photo, 'photo');
      const message = {
        ...envelope(chat, params),
        photo: photoSizes(file),
        ...(text ? { caption: text } : {}),
        ...(entities.length ? { caption_entities: entities } : {}),
        ...(markup ? { reply_markup: markup } : {}),
      } as Message;
      return state.addBotMessage(message, file).message;
    },

    sendMediaGroup: ({ params }) => {
      const chat = state.chatFor(params.chat_id);
      const items = optionalArray(params, 'media') ?? [];
      if (items.length === 0) throw badRequest('there are no messages to send');
      if (items.length > 10) throw badRequest('too many messages to send as an album');
      const media = items.map((item) => (typeof item === 'object' && item !== null ? (item as Params) : {}));
      const types = media.map((item) => String(item.type));
      for (const type of types) {
        if (!ALBUM_TYPES.has(type)) throw badRequest(`can't parse InputMedia: type "${type}" is unsupported`);
      }
      for (const loner of ['document', 'audio']) {
        if (types.includes(loner) && types.some((type) => type !== loner)) {
          throw badRequest(`${loner} can't be mixed with other media types`);
        }
      }
      // Validate every item before sending any: a refused album sends nothing.
      const prepared = media.map((item) => ({
        item,
        captioned: caption(item),
        file: inputFile(item.media, item.type === 'photo' ? 'photo' : 'other'),
      }));
      // A single item is sent as a plain message, outside any album, as the official server does.
      const groupId = prepared.length > 1 ? String(1_300_000_000_000_000 + state.serial()) : undefined;
      return prepared.map(({ item, captioned, file }) => {
        const message = {
          ...envelope(chat, params),
          ...(groupId ? { media_group_id: groupId } : {}),
          ...mediaField(String(item.type), file),
          ...(captioned.text ? { caption: captioned.text } : {}),
          ...(captioned.entities.length ? { caption_entities: captioned.entities } : {}),
        } as Message;
        return state.addBotMessage(message, item.type === 'photo' ? file : undefined).message;
      });
    },

    editMessageText: ({ params }) => {
      if (params.inline_message_id !== undefined) {
        messageText(params);
        readReplyMarkup(params.reply_markup);
        return true;
      }
      const { text, entities } = messageText(params);
      const stored = editable(params);
      if (stored.message.text === undefined) throw badRequest('there is no text in the message to edit');
      return applyEdit(stored, { text, entities }, params.reply_markup);
    },

    editMessageCaption: ({ params }) => {
      const captioned = caption(params);
      const stored = editable(params);
      if (stored.message.text !== undefined) throw badRequest('there is no caption in the message to edit');
      const changes = { caption: captioned.text || undefined, caption_entities: captioned.entities };
      return applyEdit(stored, changes, params.reply_markup);
    },

    editMessageReplyMarkup: ({ params }) => {
      if (params.inline_message_id !== undefined) {
        readReplyMarkup(params.reply_markup);
        return true;
      }
      return applyEdit(editable(params), {}, params.reply_markup);
    },

    deleteMessage: ({ params }) => {
      const chat = state.chatFor(params.chat_id);
      const messageId = optionalInt(params, 'message_id');
      const stored = messageId === undefined ? undefined : state.findMessage(chat.id, messageId);
      if (!stored) throw badRequest('message to delete not found');
      stored.deleted = true;
      return true;
    },

    sendChatAction: ({ params }) => {
      state.chatFor(params.chat_id);
      if (!CHAT_ACTIONS.has(optionalString(params, 'action') ?? '')) {
        throw badRequest('wrong parameter action in request');
      }
      return true;
    },

    answerCallbackQuery: ({ params }) => {
      const query = state.callbackQueries.get(optionalString(params, 'callback_query_id') ?? '');
      if (!query || query.answered) throw badRequest(QUERY_EXPIRED);
      query.answered = true;
      return true;
    },

    answerInlineQuery: ({ params }) => {
      const query = state.inlineQueries.get(optionalString(params, 'inline_query_id') ?? '');
      if (!query || query.answered) throw badRequest(QUERY_EXPIRED);
      const results = optionalArray(params, 'results') ?? [];
      if (results.length > 50) throw badRequest('RESULTS_TOO_MUCH');
      const ids = new Set<string>();
      for (const result of results as Params[]) {
        const id = optionalString(result, 'id') ?? '';
        const bytes = Buffer.byteLength(id, 'utf8');
        if (bytes < 1 || bytes > 64) throw badRequest('RESULT_ID_INVALID');
        if (ids.has(id)) throw badRequest('RESULT_ID_DUPLICATE');
        ids.add(id);
        readReplyMarkup(result.reply_markup);
      }
      if (Buffer.byteLength(optionalString(params, 'next_offset') ?? '', 'utf8') > 64) {
        throw badRequest('NEXT_OFFSET_INVALID');
      }
      query.answered = true;
      return true;
    },
  };
}

function entitiesParam(params: Params, key: string): MessageEntity[] | undefined {
  return optionalArray(params, key) as MessageEntity[] | undefined;
}

/** The media field of an album item's message: `photo`, `video`, `audio` or `document`. */
function mediaField(type: string, file: StoredFile): Partial<Message> {
  const ids = { file_id: file.file_id, file_unique_id: file.file_unique_id };
  const size = file.data ? { file_size: file.data.length } : {};
  switch (type) {
    case 'photo':
      return { photo: photoSizes(file) };
    case 'video':
      return { video: { ...ids, ...size, width: file.width, height: file.height, duration: 0 } };
    case 'audio':
      return { audio: { ...ids, ...size, duration: 0 } };
    default:
      return { document: { ...ids, ...size, ...(file.filename ? { file_name: file.filename } : {}) } };
  }
}

/** JSON with sorted keys, so equal content compares equal whatever order a client wrote it in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}
