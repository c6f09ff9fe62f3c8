import { createHash } from 'node:crypto';
import type { Chat, InlineQuery, Message, MessageEntity, Update, User } from 'grammy/types';
import type { TelegramState } from './telegram-state.ts';
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

/** A press of an inline button with `callback_data`. */
export interface ButtonPress {
  from: UserInput;
  message: MessageRef;
  data: string;
  /**
   * Skip the check that the message currently shows a button with this data, to model a stale
   * or forged press (a client showing an old keyboard, a replayed callback).
   */
  force?: boolean;
}

/** An inline query typed in any chat as `@bot query`. */
export interface InlineQueryInput {
  from: UserInput;
  query: string;
  offset?: string;
  chat_type?: InlineQuery['chat_type'];
}

/** A raw update; `update_id` is assigned when absent. */
export type RawUpdate = Omit<Update, 'update_id'> & { update_id?: number };

/**
 * The user's side of Telegram: builds updates the way Telegram shapes them and feeds them to the
 * bot. Update ids increase monotonically, message ids per chat.
 */
export class UserDriver {
  #nextUpdateId = 100_000_001;

  constructor(
    private readonly state: TelegramState,
    private readonly feed: UpdateFeed,
    private readonly now: () => number,
  ) {}

  /** Queues any update; one with an `update_id` seen before is delivered again (a duplicate). */
  pushUpdate(raw: RawUpdate): Update {
    const updateId = raw.update_id ?? this.#nextUpdateId;
    this.#nextUpdateId = Math.max(this.#nextUpdateId, updateId + 1);
    const update = { ...raw, update_id: updateId } as Update;
    this.state.observeUpdate(update);
    this.feed.push(update);
    return update;
  }

  sendUserMessage(input: UserMessageInput): Update {
    const { from: fromInput, chat: chatInput, text, ...rest } = input;
    const from = userOf(fromInput);
    const chat = chatInput ?? privateChatOf(from);
    const entities = text !== undefined && rest.entities === undefined ? commandEntities(text) : [];
    const message = {
      message_id: this.state.nextMessageId(chat.id),
      from,
      chat,
      date: Math.floor(this.now() / 1000),
      ...(text !== undefined ? { text } : {}),
      ...(entities.length > 0 ? { entities } : {}),
      ...rest,
    } as Message;
    return this.pushUpdate({ message } as RawUpdate);
  }

  pressButton(press: ButtonPress): Update {
    const { chat, message_id: messageId } = press.message;
    const stored = this.state.findMessage(chat.id, messageId);
    if (!press.force) {
      if (!stored)
        throw new Error(`pressButton: message ${messageId} in chat ${chat.id} does not exist (deleted?)`);
      const offered = (stored.message.reply_markup?.inline_keyboard ?? [])
        .flat()
        .flatMap((button) => ('callback_data' in button ? [button.callback_data] : []));
      if (!offered.includes(press.data)) {
        throw new Error(
          `pressButton: message ${messageId} shows no button with callback_data ${JSON.stringify(press.data)} ` +
            `(it shows ${JSON.stringify(offered)})`,
        );
      }
    }
    const id = this.#queryId();
    this.state.callbackQueries.set(id, { answered: false });
    return this.pushUpdate({
      callback_query: {
        id,
        from: userOf(press.from),
        message: stored?.message ?? (press.message as Message),
        chat_instance: chatInstance(chat.id),
        data: press.data,
      },
    });
  }

  sendInlineQuery(input: InlineQueryInput): Update {
    const id = this.#queryId();
    this.state.inlineQueries.set(id, { answered: false });
    return this.pushUpdate({
      inline_query: {
        id,
        from: userOf(input.from),
        query: input.query,
        offset: input.offset ?? '',
        ...(input.chat_type ? { chat_type: input.chat_type } : {}),
      },
    });
  }

  /** Telegram's query ids are large decimal numbers in strings. */
  #queryId(): string {
    return (4_000_000_000_000_000_000n + BigInt(this.state.serial()) * 7_919n).toString();
  }
}

function userOf(input: UserInput): User {
  return { is_bot: false, first_name: 'Test', language_code: 'en', ...input };
}

function privateChatOf(user: User): Chat {
  return {
    id: user.id,
    type: 'private',
    first_name: user.first_name,
    ...(user.last_name ? { last_name: user.last_name } : {}),
    ...(user.username ? { username: user.username } : {}),
  };
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
