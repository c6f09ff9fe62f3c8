import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  BotCommand,
  BotCommandScope,
  Chat,
  InlineKeyboardMarkup,
  MenuButton,
  Message,
  MessageEntity,
  PhotoSize,
  Update,
  UserFromGetMe,
} from 'grammy/types';
import {
  type ButtonPress,
  type InlineQueryInput,
  type RawUpdate,
  UserDriver,
  type UserMessageInput,
} from './fake-bot-api/driver.ts';
import { BotApiError, tooManyRequests } from './fake-bot-api/errors.ts';
import { createMethods } from './fake-bot-api/methods.ts';
import { boundaryOf, parseMultipart, type UploadedFile } from './fake-bot-api/multipart.ts';
import { paramsFromForm } from './fake-bot-api/params.ts';
import {
  type ApiResponse,
  CallRecorder,
  type Params,
  type RecordedCall,
  type WaitOptions,
} from './fake-bot-api/recorder.ts';
import { scopeKey, type StoredFile, TelegramState } from './fake-bot-api/telegram-state.ts';
import { UpdateFeed, type WebhookDelivery } from './fake-bot-api/update-feed.ts';

export type { ApiResponse, RecordedCall, WaitOptions } from './fake-bot-api/recorder.ts';
export type {
  ButtonPress,
  InlineQueryInput,
  MessageRef,
  RawUpdate,
  UserInput,
  UserMessageInput,
} from './fake-bot-api/driver.ts';
export type { UploadedFile } from './fake-bot-api/multipart.ts';
export type { StoredFile } from './fake-bot-api/telegram-state.ts';
export type { WebhookDelivery } from './fake-bot-api/update-feed.ts';

/** How to start the fake. Everything has a default. */
export interface FakeBotApiOptions {
  /** The only token the fake accepts; its numeric prefix is the bot's user id. */
  token?: string;
  /** Overrides for what `getMe` returns. */
  botInfo?: Partial<UserFromGetMe>;
  /** Off by default. When set, send and edit calls above this rate per chat get 429 with `retry_after`. */
  rateLimit?: { perChatPerSecond: number };
  /** Webhook delivery: pauses before retries (default 50, 100, 200 ms), per-request timeout (10 s). */
  webhook?: { retryDelaysMs?: number[]; requestTimeoutMs?: number };
  /** Current time in ms, for message dates (default `Date.now`). */
  now?: () => number;
}

/** A message the bot sent, in its current version after edits. */
export interface SentMessage {
  chatId: number;
  messageId: number;
  text: string | undefined;
  caption: string | undefined;
  /** Entities of the text or the caption, as parsed from `parse_mode`. */
  entities: MessageEntity[];
  replyMarkup: InlineKeyboardMarkup | undefined;
  photo: PhotoSize[] | undefined;
  /** The photo's bytes exactly as uploaded (undefined when sent by URL, or not a photo). */
  photoBytes: Buffer | undefined;
  deleted: boolean;
  edits: number;
  /** The whole `Message` as Telegram would return it now. */
  message: Message;
}

/** A running fake Bot API: the URL and token to give grammY, and the test's controls. */
export interface FakeBotApi {
  /** Pass as `client.apiRoot`. */
  url: string;
  token: string;
  /** What `getMe` returns; pass as `botInfo` to skip the call. */
  botUser: UserFromGetMe;

  /** A user sends a message (private chat by default, `/commands` get `bot_command` entities). */
  sendUserMessage(input: UserMessageInput): Update;
  /** A user presses an inline button; throws if the message shows no such button (unless `force`). */
  pressButton(press: ButtonPress): Update;
  /** A user types an inline query. */
  sendInlineQuery(input: InlineQueryInput): Update;
  /** Any other update, or a duplicate: an `update_id` seen before is delivered again. */
  pushUpdate(raw: RawUpdate): Update;
  /** Makes a chat known without a message from it (Telegram answers "chat not found" otherwise). */
  addChat(chat: Chat): void;
  /** The user blocks (or unblocks) the bot: sends to that chat get 403. */
  blockBot(userId: number, blocked?: boolean): void;

  /** Recorded calls, in the order they were answered; optionally of one method. */
  calls(method?: string): RecordedCall[];
  /** Resolves with the first recorded call (past or future) that matches; rejects on timeout. */
  waitFor(predicate: (call: RecordedCall) => boolean, options?: WaitOptions): Promise<RecordedCall>;
  /** Messages the bot sent, in order, in their current version; all chats when no id is given. */
  sentMessages(chatId?: number): SentMessage[];
  /** A file by `file_id`, with its bytes when it was uploaded. */
  file(fileId: string): StoredFile | undefined;
  /** The command list stored for a scope and language (undefined when never set). */
  commands(options?: { scope?: BotCommandScope; languageCode?: string }): BotCommand[] | undefined;
  /** The menu button set for a chat, or the default one. */
  menuButton(chatId?: number): MenuButton | undefined;
  /** Updates not yet confirmed by an offset (polling) or not yet delivered (webhook). */
  pendingUpdates(): Update[];
  /** Every webhook POST attempt, with its outcome. */
  webhookDeliveries(): WebhookDelivery[];

  /**
   * Forgets recorded calls, chats, messages, files, commands, pending updates and the webhook;
   * update ids keep increasing, as on Telegram.
   */
  reset(): void;
  /** Ends held `getUpdates` requests, stops webhook delivery and closes the server. */
  close(): Promise<void>;
}

const DEFAULT_TOKEN = '1234567890:AAFakeBotApiTokenForTests_0123456789';
const NOT_FOUND: ApiResponse = { ok: false, error_code: 404, description: 'Not Found' };
const UNAUTHORIZED: ApiResponse = { ok: false, error_code: 401, description: 'Unauthorized' };
/** Methods that post or change a message and so count towards Telegram's per-chat rate. */
const RATE_LIMITED = /^(send(?!ChatAction)|edit|copyMessage|forwardMessage)/i;

/**
 * Starts a fake Telegram Bot API on 127.0.0.1 (random port) that grammY reaches through
 * `new Bot(token, { client: { apiRoot: fake.url } })`. It speaks Telegram's HTTP protocol (JSON,
 * urlencoded and multipart bodies; `{ ok, result }` / `{ ok, error_code, description }` answers
 * with matching HTTP status), holds long polls, pushes to webhooks, and refuses what Telegram
 * refuses with Telegram's wording.
 */
/** The bot identity `getMe` returns for `token`: a complete `UserFromGetMe`, overridable field by field. */
export function botUserFor(token: string, overrides: Partial<UserFromGetMe> = {}): UserFromGetMe {
  const botId = /^(\d+):[\w-]+$/.exec(token)?.[1];
  if (botId === undefined) throw new Error(`Not a bot token: ${token}`);
  return {
    id: Number(botId),
    is_bot: true,
    first_name: 'Test Bot',
    username: 'test_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: true,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
    ...overrides,
  };
}

export async function startFakeBotApi(options: FakeBotApiOptions = {}): Promise<FakeBotApi> {
  const token = options.token ?? DEFAULT_TOKEN;
  const now = options.now ?? Date.now;
  const botUser = botUserFor(token, options.botInfo);

  const recorder = new CallRecorder();
  const state = new TelegramState();
  const feed = new UpdateFeed({
    retryDelaysMs: options.webhook?.retryDelaysMs ?? [50, 100, 200],
    requestTimeoutMs: options.webhook?.requestTimeoutMs ?? 10_000,
    onWebhookReply: async (method, params) => {
      await dispatch(method, params, {}, new AbortController().signal);
    },
  });
  const methods = createMethods({
    state,
    feed,
    botUser,
    botSender: { id: botUser.id, is_bot: true, first_name: botUser.first_name, username: botUser.username },
    now,
  });
  const driver = new UserDriver(state, feed, now);
  const rateLimit = createRateLimiter(options.rateLimit?.perChatPerSecond);

  /** Runs one method and records it; used for HTTP requests and webhook replies alike. */
  async function dispatch(
    requested: string,
    params: Params,
    files: Record<string, UploadedFile>,
    clientGone: AbortSignal,
  ): Promise<{ status: number; body: ApiResponse }> {
    const time = Date.now();
    const method = methods.get(requested.toLowerCase());
    let status = 200;
    let body: ApiResponse;
    if (!method) {
      status = 404;
      body = NOT_FOUND;
    } else {
      try {
        if (RATE_LIMITED.test(method.name)) rateLimit(params.chat_id);
        body = { ok: true, result: await method.handler({ params, clientGone }) };
      } catch (error) {
        ({ status, body } = failure(error));
      }
    }
    recorder.record({
      method: method?.name ?? requested,
      params,
      files,
      time,
      answeredAt: Date.now(),
      status,
      response: body,
    });
    return { status, body };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const route = /^\/bot([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!route) return reply(response, 404, NOT_FOUND);
    if (decodeURIComponent(route[1] ?? '') !== token) return reply(response, 401, UNAUTHORIZED);

    let body: { params: Params; files: Record<string, UploadedFile> };
    try {
      body = await readBody(request, url);
    } catch (error) {
      const refusal =
        error instanceof BotApiError ? error : new BotApiError(400, `Bad Request: ${String(error)}`);
      const { status, body: answer } = failure(refusal);
      return reply(response, status, answer);
    }
    // Fires when the client gives up (grammY aborts the held poll on bot.stop()).
    const clientGone = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) clientGone.abort();
    });
    const { status, body: answer } = await dispatch(
      route[2] ?? '',
      body.params,
      body.files,
      clientGone.signal,
    );
    reply(response, status, answer);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const { status, body } = failure(error);
      reply(response, status, body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const shutdown = async (): Promise<void> => {
    feed.close();
    // Let the held polls write their empty answers before the sockets go.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    botUser,
    sendUserMessage: (input) => driver.sendUserMessage(input),
    pressButton: (press) => driver.pressButton(press),
    sendInlineQuery: (input) => driver.sendInlineQuery(input),
    pushUpdate: (raw) => driver.pushUpdate(raw),
    addChat: (chat) => state.registerChat(chat),
    blockBot: (userId, blocked = true) => {
      if (blocked) state.blockedBy.add(userId);
      else state.blockedBy.delete(userId);
    },
    calls: (method) => recorder.calls(method),
    waitFor: (predicate, waitOptions) => recorder.waitFor(predicate, waitOptions),
    sentMessages: (chatId) =>
      state.sentByBot(chatId).map(({ message, deleted, edits, photo }) => ({
        chatId: message.chat.id,
        messageId: message.message_id,
        text: message.text,
        caption: message.caption,
        entities: message.entities ?? message.caption_entities ?? [],
        replyMarkup: message.reply_markup,
        photo: message.photo,
        photoBytes: photo?.data,
        deleted,
        edits,
        message,
      })),
    file: (fileId) => state.files.get(fileId),
    commands: (query = {}) => state.commands.get(scopeKey(query.scope, query.languageCode)),
    menuButton: (chatId) => state.menuButtons.get(chatId === undefined ? 'default' : String(chatId)),
    pendingUpdates: () => feed.pending(),
    webhookDeliveries: () => feed.deliveries(),
    reset: () => {
      recorder.reset();
      state.reset();
      feed.reset();
    },
    close: () => (closing ??= shutdown()),
  };
}

/** A Telegram refusal as its answer; anything else is a bug in the fake, reported loudly as a 500. */
function failure(error: unknown): { status: number; body: ApiResponse } {
  if (error instanceof BotApiError) {
    const parameters = error.parameters ? { parameters: { ...error.parameters } } : {};
    return {
      status: error.errorCode,
      body: { ok: false, error_code: error.errorCode, description: error.description, ...parameters },
    };
  }
  const description = `Internal Server Error: ${error instanceof Error ? error.stack : String(error)}`;
  return { status: 500, body: { ok: false, error_code: 500, description } };
}

function reply(response: ServerResponse, status: number, body: ApiResponse): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Reads parameters from the query string and a JSON, urlencoded or multipart body. */
async function readBody(
  request: IncomingMessage,
  url: URL,
): Promise<{ params: Params; files: Record<string, UploadedFile> }> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const contentType = request.headers['content-type'] ?? '';
  const fields = new Map(url.searchParams);

  if (/^multipart\/form-data/i.test(contentType)) {
    const boundary = boundaryOf(contentType);
    if (!boundary) throw new BotApiError(400, 'Bad Request: multipart boundary is missing');
    const multipart = parseMultipart(raw, boundary);
    for (const [key, value] of multipart.fields) fields.set(key, value);
    return { params: paramsFromForm(fields, multipart.files), files: Object.fromEntries(multipart.files) };
  }
  if (/^application\/x-www-form-urlencoded/i.test(contentType)) {
    for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) fields.set(key, value);
    return { params: paramsFromForm(fields, new Map()), files: {} };
  }
  const base = paramsFromForm(fields, new Map());
  if (raw.length === 0) return { params: base, files: {} };
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BotApiError(400, "Bad Request: can't parse JSON object");
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BotApiError(400, "Bad Request: can't parse JSON object");
  }
  return { params: { ...base, ...(json as Params) }, files: {} };
}

/**
 * Telegram's per-chat flood limit, as a sliding one-second window. Off (a no-op) without a rate.
 */
function createRateLimiter(perChatPerSecond: number | undefined): (chatId: unknown) => void {
  const windows = new Map<string, number[]>();
  return (chatId) => {
    if (perChatPerSecond === undefined || chatId === undefined) return;
    const key = String(chatId);
    const now = Date.now();
    const recent = (windows.get(key) ?? []).filter((time) => time > now - 1000);
    if (recent.length >= perChatPerSecond) {
      windows.set(key, recent);
      throw tooManyRequests(Math.max(1, Math.ceil(((recent[0] ?? now) + 1000 - now) / 1000)));
    }
    recent.push(now);
    windows.set(key, recent);
  };
}
