import type { Chat, Message, MessageEntity } from 'grammy/types';
import { badRequest } from './errors.ts';
import { type FormattedText, formatText, textLength } from './formatting.ts';
import { imageSize } from './image-size.ts';
import { invoiceOf, readInvoice, requirePayButtonFirst } from './invoices.ts';
import { inlineKeyboardOf, readReplyMarkup } from './markup.ts';
import type { MethodDeps, MethodHandler } from './methods.ts';
import { isUpload, optionalArray, optionalBool, optionalInt, optionalString } from './params.ts';
import type { Params } from './recorder.ts';
import { photoSizes, type StoredFile, type StoredMessage } from './telegram-state.ts';

const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const NOT_MODIFIED =
  'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message';
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
/** Message fields that carry media, and so a caption that editMessageCaption may change. */
const MEDIA_FIELDS = ['photo', 'video', 'document', 'audio', 'animation', 'voice'];

/** Sending, editing and deleting messages, in chats and (editing only) sent through inline mode. */
export function messageMethods(deps: MethodDeps): Record<string, MethodHandler> {
  const { state, ledger } = deps;
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

  /**
   * The message an edit call targets: `chat_id` + `message_id` for a message in a chat, or
   * `inline_message_id` for one a user sent through the bot's inline mode.
   */
  const editTarget = (params: Params): { stored: StoredMessage; inline: boolean } => {
    if (params.chat_id === undefined && params.message_id === undefined) {
      const inlineId = optionalString(params, 'inline_message_id') ?? '';
      if (inlineId === '') throw badRequest('message identifier is not specified');
      const stored = state.inlineMessages.get(inlineId);
      if (!stored) throw badRequest('MESSAGE_ID_INVALID');
      return { stored, inline: true };
    }
    const chat = state.chatFor(params.chat_id);
    const messageId = optionalInt(params, 'message_id');
    if (messageId === undefined) throw badRequest('message identifier is not specified');
    const stored = state.findMessage(chat.id, messageId);
    if (!stored) throw badRequest('message to edit not found');
    if (!stored.fromBot) throw badRequest("message can't be edited");
    return { stored, inline: false };
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

    /**
     * An invoice message; its keyboard, if any, must start with the Pay button. The fake keeps
     * the invoice (payload, prices) so a test can pay it with `payInvoice`.
     */
    sendInvoice: ({ params }) => {
      const chat = state.chatFor(params.chat_id);
      const spec = readInvoice(params, { subscriptions: false });
      const markup = readReplyMarkup(params.reply_markup);
      if (markup && !('inline_keyboard' in markup)) throw badRequest('inline keyboard expected');
      const keyboard = inlineKeyboardOf(markup);
      requirePayButtonFirst(keyboard);
      const message = {
        ...envelope(chat, params),
        invoice: invoiceOf(spec),
        ...(keyboard ? { reply_markup: keyboard } : {}),
      } as Message;
      ledger.invoices.set(`message:${chat.id}:${message.message_id}`, spec);
      return state.addBotMessage(message).message;
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
      const { text, entities } = messageText(params);
      const { stored, inline } = editTarget(params);
      if (stored.message.text === undefined) throw badRequest('there is no text in the message to edit');
      const edited = applyEdit(stored, { text, entities }, params.reply_markup);
      // An inline message belongs to the user's chat: Telegram answers True, not the message.
      return inline ? true : edited;
    },

    editMessageCaption: ({ params }) => {
      const captioned = caption(params);
      const { stored, inline } = editTarget(params);
      if (!MEDIA_FIELDS.some((field) => field in stored.message)) {
        throw badRequest('there is no caption in the message to edit');
      }
      const changes = { caption: captioned.text || undefined, caption_entities: captioned.entities };
      const edited = applyEdit(stored, changes, params.reply_markup);
      return inline ? true : edited;
    },

    editMessageReplyMarkup: ({ params }) => {
      const { stored, inline } = editTarget(params);
      const edited = applyEdit(stored, {}, params.reply_markup);
      return inline ? true : edited;
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
