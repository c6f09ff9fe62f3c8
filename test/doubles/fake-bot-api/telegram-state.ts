import type {
  BotCommand,
  CallbackQuery,
  Chat,
  InlineQuery,
  MenuButton,
  Message,
  PhotoSize,
  Update,
} from 'grammy/types';
import { badRequest, forbidden } from './errors.ts';
import type { InlineAnswer } from './inline-results.ts';

/** A file Telegram would hold: bytes when it was uploaded, the URL when it was sent by link. */
export interface StoredFile {
  file_id: string;
  file_unique_id: string;
  data: Buffer | undefined;
  url: string | undefined;
  filename: string | undefined;
  width: number;
  height: number;
}

/** A message in a chat, in its current version. */
export interface StoredMessage {
  message: Message;
  fromBot: boolean;
  deleted: boolean;
  edits: number;
  /** The photo file of a photo message, with its bytes when the bot uploaded them. */
  photo: StoredFile | undefined;
}

/** How the bot answered a callback query (`answerCallbackQuery`), as the user's client shows it. */
export interface CallbackAnswer {
  text: string | undefined;
  /** True: the client shows `text` as an alert with an OK button, not as a passing notification. */
  showAlert: boolean;
  url: string | undefined;
  cacheTime: number;
  /** Milliseconds from the press being queued to the answer. */
  answeredAfterMs: number;
}

/** A button press the bot may answer once. */
export interface CallbackQueryRecord {
  query: CallbackQuery;
  /** `performance.now()` when the press was queued. */
  pushedAt: number;
  answer: CallbackAnswer | undefined;
}

/** An inline query the bot may answer once; the answer is stored by `answerInlineQuery`. */
export interface InlineQueryRecord {
  query: InlineQuery;
  /** `performance.now()` when the query was queued. */
  pushedAt: number;
  answer: InlineAnswer | undefined;
}

/**
 * What Telegram knows on the bot's behalf: the chats it has seen, each chat's messages with
 * per-chat increasing ids, files, open queries, and the bot's commands and menu buttons.
 */
export class TelegramState {
  readonly chats = new Map<number, Chat>();
  /** Users seen in updates; without a private chat the bot still cannot write to them first. */
  readonly seenUsers = new Set<number>();
  readonly blockedBy = new Set<number>();
  readonly files = new Map<string, StoredFile>();
  readonly callbackQueries = new Map<string, CallbackQueryRecord>();
  readonly inlineQueries = new Map<string, InlineQueryRecord>();
  /**
   * Messages users sent through the bot's inline mode, by `inline_message_id`. They live in chats
   * the bot may not be in, so they are kept apart from the chats' message lists.
   */
  readonly inlineMessages = new Map<string, StoredMessage>();
  /** Command lists by `scopeKey(scope, language_code)`. */
  readonly commands = new Map<string, BotCommand[]>();
  /** Menu buttons by chat id, `default` for the bot-wide one. */
  readonly menuButtons = new Map<string, MenuButton>();
  #messages = new Map<number, Map<number, StoredMessage>>();
  #lastMessageId = new Map<number, number>();
  #sentByBot: StoredMessage[] = [];
  #serial = 0;

  /** Makes a chat known, as Telegram knows every chat an update came from. */
  registerChat(chat: Chat): void {
    this.chats.set(chat.id, { ...this.chats.get(chat.id), ...chat } as Chat);
  }

  /**
   * Registers every chat an update mentions and stores the user messages it carries, so the bot
   * can reply to, delete or be told about them as on Telegram.
   */
  observeUpdate(update: Update): void {
    for (const value of Object.values(update) as unknown[]) {
      if (!isRecord(value)) continue;
      if (isRecord(value.from) && typeof value.from.id === 'number') this.seenUsers.add(value.from.id);
      if (isChat(value.chat)) {
        this.registerChat(value.chat);
        const known =
          typeof value.message_id === 'number'
            ? this.#messages.get(value.chat.id)?.get(value.message_id)
            : undefined;
        if (typeof value.message_id === 'number' && typeof value.date === 'number' && !known?.fromBot) {
          this.#remember(value as unknown as Message, false, undefined);
        }
      } else if (isRecord(value.message) && isChat(value.message.chat)) {
        this.registerChat(value.message.chat);
      }
    }
  }

  /**
   * Resolves `chat_id` (number, numeric text or `@username`) the way Telegram refuses it: empty,
   * unknown, or a user who blocked the bot.
   */
  chatFor(chatId: unknown): Chat {
    if (chatId === undefined || chatId === null || chatId === '') throw badRequest('chat_id is empty');
    let chat: Chat | undefined;
    if (typeof chatId === 'string' && chatId.startsWith('@')) {
      const username = chatId.slice(1).toLowerCase();
      chat = [...this.chats.values()].find(
        (known) => 'username' in known && known.username?.toLowerCase() === username,
      );
    } else {
      const id = Number(chatId);
      if (!Number.isSafeInteger(id)) throw badRequest('chat not found');
      chat = this.chats.get(id);
    }
    if (!chat && this.seenUsers.has(Number(chatId)))
      throw forbidden("bot can't initiate conversation with a user");
    if (!chat) throw badRequest('chat not found');
    if (this.blockedBy.has(chat.id)) throw forbidden('bot was blocked by the user');
    return chat;
  }

  nextMessageId(chatId: number): number {
    const id = (this.#lastMessageId.get(chatId) ?? 0) + 1;
    this.#lastMessageId.set(chatId, id);
    return id;
  }

  /** Stores a message the bot sent; returns the stored record. */
  addBotMessage(message: Message, photo?: StoredFile): StoredMessage {
    const stored = this.#remember(message, true, photo);
    this.#sentByBot.push(stored);
    return stored;
  }

  /** A message that exists and was not deleted. */
  findMessage(chatId: number, messageId: number): StoredMessage | undefined {
    const stored = this.#messages.get(chatId)?.get(messageId);
    return stored && !stored.deleted ? stored : undefined;
  }

  /** Messages the bot sent, in order, in their current version (deleted ones included, flagged). */
  sentByBot(chatId?: number): StoredMessage[] {
    return this.#sentByBot.filter((stored) => chatId === undefined || stored.message.chat.id === chatId);
  }

  /** A number never handed out before by this fake. */
  serial(): number {
    this.#serial += 1;
    return this.#serial;
  }

  /** A unique id with a prefix, for files and queries; the random tail keeps ids unguessable. */
  newId(prefix: string): string {
    return `${prefix}${this.serial().toString().padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;
  }

  /** Stores a file and returns it with fresh ids. */
  addFile(file: Omit<StoredFile, 'file_id' | 'file_unique_id'>): StoredFile {
    const stored: StoredFile = {
      file_id: this.newId('AgACAgFake'),
      file_unique_id: this.newId('AQAD'),
      ...file,
    };
    this.files.set(stored.file_id, stored);
    return stored;
  }

  reset(): void {
    this.chats.clear();
    this.seenUsers.clear();
    this.blockedBy.clear();
    this.files.clear();
    this.callbackQueries.clear();
    this.inlineQueries.clear();
    this.inlineMessages.clear();
    this.commands.clear();
    this.menuButtons.clear();
    this.#messages.clear();
    this.#lastMessageId.clear();
    this.#sentByBot = [];
  }

  #remember(message: Message, fromBot: boolean, photo: StoredFile | undefined): StoredMessage {
    const chatId = message.chat.id;
    let messages = this.#messages.get(chatId);
    if (!messages) {
      messages = new Map();
      this.#messages.set(chatId, messages);
    }
    const stored: StoredMessage = { message, fromBot, deleted: false, edits: 0, photo };
    messages.set(message.message_id, stored);
    // Keep ids increasing even when a test pushes a message with an id of its own choosing.
    if (message.message_id > (this.#lastMessageId.get(chatId) ?? 0))
      this.#lastMessageId.set(chatId, message.message_id);
    return stored;
  }
}

/**
 * The photo sizes of a message. Telegram adds scaled-down copies; the fake keeps one size, the
 * original, so `photo.at(-1)` (the largest) is what the bot uploaded.
 */
export function photoSizes(file: StoredFile): PhotoSize[] {
  return [
    {
      file_id: file.file_id,
      file_unique_id: file.file_unique_id,
      width: file.width,
      height: file.height,
      ...(file.data ? { file_size: file.data.length } : {}),
    },
  ];
}

/** The key a command list is stored under: its scope and language. */
export function scopeKey(scope: unknown, languageCode: string | undefined): string {
  const fields =
    typeof scope === 'object' && scope !== null ? (scope as Record<string, unknown>) : { type: 'default' };
  const canonical = Object.keys(fields)
    .sort()
    .map((key) => `${key}=${String(fields[key])}`)
    .join('&');
  return `${canonical}|${languageCode ?? ''}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isChat(value: unknown): value is Chat {
  return isRecord(value) && typeof value.id === 'number' && typeof value.type === 'string';
}
