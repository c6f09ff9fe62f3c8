import { createHash, randomBytes } from 'node:crypto';
import type { Chat, InlineQuery, Message, MessageEntity, Update, User } from 'grammy/types';
import { invoiceOf } from './invoices.ts';
import type { InlineResult } from './inline-results.ts';
import type { PaymentLedger } from './payments.ts';
import { photoSizes, type StoredMessage, type TelegramState } from './telegram-state.ts';
import type { UpdateFeed } from './update-feed.ts';

/** A user as a test names one: only `id` is required, the rest gets plausible defaults. */
export interface UserInput {
  id: number;
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
  is_premium?: true;
}

/**
 * A message a user sends to the bot. `chat` defaults to the private chat with `from`; any other
 * `Message` field (`reply_to_message`, `forward_origin`, `sender_chat`, `photo`, ...) is copied in.
 */
export type UserMessageInput = {
  from: UserInput;
  chat?: Chat;
  text?: string;
} & Omit<Partial<Message>, 'from' | 'chat' | 'text' | 'message_id' | 'date'>;

/** A message whose inline button is pressed: a `Message`, or just its chat id and message id. */
export interface MessageRef {
  message_id: number;
  chat: { id: number };
}

/**
 * A press of an inline button with `callback_data`, on a message in a chat (`message`) or on a
 * message a user sent through the bot's inline mode (`inlineMessageId`). Anyone who can see the
 * message may press: `from` need not be the chat's owner.
 */
export type ButtonPress = {
  from: UserInput;
  data: string;
  /**
   * Skip the check that the message currently shows a button with this data, to model a stale
   * or forged press (a client showing an old keyboard, a replayed callback).
   */
  force?: boolean;
} & ({ message: MessageRef; inlineMessageId?: never } | { inlineMessageId: string; message?: never });

/** An inline query typed in any chat as `@bot query`. */
export interface InlineQueryInput {
  from: UserInput;
  query: string;
  offset?: string;
  chat_type?: InlineQuery['chat_type'];
}

/** A user picks one result of the bot's answer to their inline query and sends it. */
export interface ChooseInlineResultInput {
  /** The inline query (its update, or its id) whose answer offered the result. */
  query: Update | string;
  resultId: string;
  /**
   * The chat it is sent to. Default: follows the query's `chat_type` ("sender" is the user's chat
   * with the bot; otherwise a new chat of that type the bot is not a member of).
   */
  chat?: Chat;
  /** Push `chosen_inline_result`; default: whether inline feedback is on for the bot. */
  feedback?: boolean;
}

/** What choosing an inline result produced. */
export interface ChosenInline {
  /** The message as it now stands in the chat, sent by the user `via_bot`. */
  message: Message;
  /**
   * Set when the message carries an inline keyboard (or is an invoice): the id its button presses
   * and the bot's edits use.
   */
  inlineMessageId: string | undefined;
  /** The `chosen_inline_result` update, when feedback is on. */
  feedbackUpdate: Update | undefined;
  /** The `message` update, when the chat is the user's own chat with the bot (the bot sees it). */
  messageUpdate: Update | undefined;
}

/** A raw update; `update_id` is assigned when absent. */
export type RawUpdate = Omit<Update, 'update_id'> & { update_id?: number };

/** What the user side needs from the rest of the fake. */
export interface DriverDeps {
  state: TelegramState;
  feed: UpdateFeed;
  ledger: PaymentLedger;
  now: () => number;
  /** The bot as it appears in `via_bot`. */
  botSender: User;
  /** Whether the bot enabled inline feedback (BotFather's /setinlinefeedback). */
  inlineFeedback: () => boolean;
}

/** Deep-link payloads Telegram passes on: 1–64 of `A–Z a–z 0–9 _ -`. */
const START_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The user's side of Telegram: builds updates the way Telegram shapes them and feeds them to the
 * bot. Update ids increase monotonically, message ids per chat.
 */
export class UserDriver {
  #nextUpdateId = 100_000_001;

  constructor(private readonly deps: DriverDeps) {}

  /** Queues any update; one with an `update_id` seen before is delivered again (a duplicate). */
  pushUpdate(raw: RawUpdate): Update {
    const updateId = raw.update_id ?? this.#nextUpdateId;
    this.#nextUpdateId = Math.max(this.#nextUpdateId, updateId + 1);
    const update = { ...raw, update_id: updateId } as Update;
    this.deps.state.observeUpdate(update);
    this.deps.feed.push(update);
    return update;
  }

  sendUserMessage(input: UserMessageInput): Update {
    const { from: fromInput, chat: chatInput, text, ...rest } = input;
    const from = userOf(fromInput);
    const chat = chatInput ?? privateChatOf(from);
    const entities = text !== undefined && rest.entities === undefined ? commandEntities(text) : [];
    const message = {
      message_id: this.deps.state.nextMessageId(chat.id),
      from,
      chat,
      date: this.#date(),
      ...(text !== undefined ? { text } : {}),
      ...(entities.length > 0 ? { entities } : {}),
      ...rest,
    } as Message;
    return this.pushUpdate({ message } as RawUpdate);
  }

  /**
   * What a client sends when a user opens `https://t.me/<bot>?start=<payload>`: `/start <payload>`
   * in the private chat. Throws on a payload Telegram would not pass on.
   */
  sendStart(input: { from: UserInput; payload?: string }): Update {
    if (input.payload !== undefined && !START_PAYLOAD.test(input.payload)) {
      throw new Error(
        `sendStart: Telegram passes on only 1-64 of A-Z a-z 0-9 _ -, not ${JSON.stringify(input.payload)}`,
      );
    }
    const text = input.payload === undefined ? '/start' : `/start ${input.payload}`;
    return this.sendUserMessage({ from: input.from, text });
  }

  /**
   * A user opens a link to this bot (`https://t.me/<bot>?start=<payload>`, also `tg://resolve`);
   * throws when it is not one, so a test catches a wrong bot name or a payload Telegram would drop.
   */
  openStartLink(input: { from: UserInput; url: string; botUsername: string }): Update {
    const url = new URL(input.url);
    const username =
      url.protocol === 'tg:' ? url.searchParams.get('domain') : url.pathname.replace(/^\/+/, '');
    const isTelegram = url.protocol === 'tg:' || (url.protocol === 'https:' && url.hostname === 't.me');
    if (!isTelegram || username?.toLowerCase() !== input.botUsername.toLowerCase()) {
      throw new Error(`openStartLink: ${input.url} is not a link to @${input.botUsername}`);
    }
    const payload = url.searchParams.get('start');
    return this.sendStart({ from: input.from, ...(payload === null ? {} : { payload }) });
  }

  pressButton(press: ButtonPress): Update {
    const { state } = this.deps;
    const target = press.inlineMessageId ?? `message ${press.message?.message_id}`;
    const stored =
      press.inlineMessageId !== undefined
        ? state.inlineMessages.get(press.inlineMessageId)
        : state.findMessage(press.message.chat.id, press.message.message_id);
    if (!press.force) {
      if (!stored) throw new Error(`pressButton: ${target} does not exist (deleted?)`);
      const offered = offeredData(stored);
      if (!offered.includes(press.data)) {
        throw new Error(
          `pressButton: ${target} shows no button with callback_data ${JSON.stringify(press.data)} ` +
            `(it shows ${JSON.stringify(offered)})`,
        );
      }
    }
    const id = this.#queryId();
    const chatId = stored?.message.chat.id ?? press.message?.chat.id ?? 0;
    const callbackQuery = {
      id,
      from: userOf(press.from),
      ...(press.inlineMessageId !== undefined
        ? { inline_message_id: press.inlineMessageId }
        : { message: stored?.message ?? (press.message as Message) }),
      chat_instance: chatInstance(chatId),
      data: press.data,
    };
    state.callbackQueries.set(id, { query: callbackQuery, pushedAt: performance.now(), answer: undefined });
    return this.pushUpdate({ callback_query: callbackQuery });
  }

  sendInlineQuery(input: InlineQueryInput): Update {
    const inlineQuery: InlineQuery = {
      id: this.#queryId(),
      from: userOf(input.from),
      query: input.query,
      offset: input.offset ?? '',
      ...(input.chat_type ? { chat_type: input.chat_type } : {}),
    };
    this.deps.state.inlineQueries.set(inlineQuery.id, {
      query: inlineQuery,
      pushedAt: performance.now(),
      answer: undefined,
    });
    return this.pushUpdate({ inline_query: inlineQuery });
  }

  /**
   * The user taps one of the results the bot answered with: Telegram posts it into the chat as the
   * user's message `via_bot`, with an `inline_message_id` when it has a keyboard. The bot does not
   * see that message (unless the chat is its own); it learns of the choice only through
   * `chosen_inline_result`, and only with inline feedback on.
   */
  chooseInlineResult(input: ChooseInlineResultInput): ChosenInline {
    const { state, ledger } = this.deps;
    const queryId = typeof input.query === 'string' ? input.query : input.query.inline_query?.id;
    const record = state.inlineQueries.get(queryId ?? '');
    if (!record) throw new Error(`chooseInlineResult: no inline query ${String(queryId)}`);
    if (!record.answer) throw new Error(`chooseInlineResult: the bot has not answered query ${queryId}`);
    const result = record.answer.results.find((candidate) => candidate.id === input.resultId);
    if (!result) {
      const offered = record.answer.results.map((candidate) => candidate.id);
      throw new Error(
        `chooseInlineResult: the answer offers no result ${JSON.stringify(input.resultId)} (it offers ${JSON.stringify(offered)})`,
      );
    }
    const from = record.query.from;
    const chat = input.chat ?? this.#chatForInline(record.query, from);
    const keyed = result.replyMarkup !== undefined || result.content.kind === 'invoice';
    const inlineMessageId = keyed ? this.#inlineMessageId() : undefined;
    const message = {
      message_id: state.nextMessageId(chat.id),
      from,
      chat,
      date: this.#date(),
      via_bot: this.deps.botSender,
      ...contentFields(result),
      ...(result.replyMarkup ? { reply_markup: result.replyMarkup } : {}),
    } as Message;
    if (inlineMessageId !== undefined) {
      const photo = result.content.kind === 'photo' ? result.content.file : undefined;
      const stored: StoredMessage = { message, fromBot: true, deleted: false, edits: 0, photo };
      state.inlineMessages.set(inlineMessageId, stored);
      if (result.content.kind === 'invoice')
        ledger.invoices.set(`inline:${inlineMessageId}`, result.content.invoice);
    }

    const ownChat = chat.type === 'private' && chat.id === from.id;
    const messageUpdate = ownChat ? this.pushUpdate({ message } as RawUpdate) : undefined;
    const feedback = input.feedback ?? this.deps.inlineFeedback();
    const feedbackUpdate = feedback
      ? this.pushUpdate({
          chosen_inline_result: {
            result_id: result.id,
            from,
            query: record.query.query,
            ...(inlineMessageId !== undefined ? { inline_message_id: inlineMessageId } : {}),
          },
        })
      : undefined;
    return { message, inlineMessageId, feedbackUpdate, messageUpdate };
  }

  /** Telegram's query ids are large decimal numbers in strings. */
  #queryId(): string {
    return (4_000_000_000_000_000_000n + BigInt(this.deps.state.serial()) * 7_919n).toString();
  }

  /** Opaque base64url ids, like Telegram's. */
  #inlineMessageId(): string {
    let id: string;
    do id = `AgAAA${randomBytes(16).toString('base64url')}`;
    while (this.deps.state.inlineMessages.has(id));
    return id;
  }

  #chatForInline(query: InlineQuery, from: User): Chat {
    const serial = this.deps.state.serial();
    switch (query.chat_type) {
      case 'sender':
        return privateChatOf(from);
      case 'group':
        return { id: -(4_000_000_000 + serial), type: 'group', title: 'Inline test group' };
      case 'supergroup':
        return { id: -(1_009_000_000_000 + serial), type: 'supergroup', title: 'Inline test supergroup' };
      case 'channel':
        return { id: -(1_008_000_000_000 + serial), type: 'channel', title: 'Inline test channel' };
      default:
        return { id: 7_000_000_000 + serial, type: 'private', first_name: 'Chat partner' };
    }
  }

  #date(): number {
    return Math.floor(this.deps.now() / 1000);
  }
}

/** The user a test names, with the defaults Telegram would fill in. */
export function userOf(input: UserInput): User {
  return { is_bot: false, first_name: 'Test', language_code: 'en', ...input };
}

/** The private chat of the bot with `user`. */
export function privateChatOf(user: User): Chat {
  return {
    id: user.id,
    type: 'private',
    first_name: user.first_name,
    ...(user.last_name ? { last_name: user.last_name } : {}),
    ...(user.username ? { username: user.username } : {}),
  };
}

/** The message fields a chosen inline result posts. */
function contentFields(result: InlineResult): Partial<Message> {
  const { content } = result;
  switch (content.kind) {
    case 'text':
      return { text: content.text, ...(content.entities.length ? { entities: content.entities } : {}) };
    case 'photo':
      return {
        photo: photoSizes(content.file),
        ...(content.caption.text ? { caption: content.caption.text } : {}),
        ...(content.caption.entities.length ? { caption_entities: content.caption.entities } : {}),
      };
    case 'invoice':
      return { invoice: invoiceOf(content.invoice) };
  }
}

function offeredData(stored: StoredMessage): string[] {
  return (stored.message.reply_markup?.inline_keyboard ?? [])
    .flat()
    .flatMap((button) => ('callback_data' in button ? [button.callback_data] : []));
}

/** `bot_command` entities for every `/command` or `/command@bot` that starts a word. */
function commandEntities(text: string): MessageEntity[] {
  const entities: MessageEntity[] = [];
  for (const match of text.matchAll(/(^|\s)(\/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?)(?![\w@])/g)) {
    const offset = (match.index ?? 0) + (match[1]?.length ?? 0);
    entities.push({ type: 'bot_command', offset, length: match[2]?.length ?? 0 });
  }
  return entities;
}

/** Stable per chat, opaque like Telegram's. */
function chatInstance(chatId: number): string {
  const digest = createHash('sha256').update(String(chatId)).digest();
  return BigInt.asIntN(64, digest.readBigUInt64BE(0)).toString();
}
