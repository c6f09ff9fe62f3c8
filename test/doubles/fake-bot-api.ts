import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  BotCommand,
  BotCommandScope,
  Chat,
  InlineKeyboardMarkup,
  Invoice,
  MenuButton,
  Message,
  MessageEntity,
  PhotoSize,
  Update,
  UserFromGetMe,
} from 'grammy/types';
import {
  type ButtonPress,
  type ChooseInlineResultInput,
  type ChosenInline,
  type InlineQueryInput,
  type RawUpdate,
  UserDriver,
  type UserInput,
  type UserMessageInput,
} from './fake-bot-api/driver.ts';
import { BotApiError, tooManyRequests } from './fake-bot-api/errors.ts';
import type { InlineAnswer } from './fake-bot-api/inline-results.ts';
import { createMethods } from './fake-bot-api/methods.ts';
import { boundaryOf, parseMultipart, type UploadedFile } from './fake-bot-api/multipart.ts';
import { paramsFromForm } from './fake-bot-api/params.ts';
import { PaymentDriver, type PaymentOutcome, type PayInvoiceInput } from './fake-bot-api/payment-driver.ts';
import { type Charge, PaymentLedger } from './fake-bot-api/payments.ts';
import {
  type ApiResponse,
  CallRecorder,
  type Params,
  type RecordedCall,
  type WaitOptions,
} from './fake-bot-api/recorder.ts';
import {
  type CallbackAnswer,
  scopeKey,
  type StoredFile,
  type StoredMessage,
  TelegramState,
} from './fake-bot-api/telegram-state.ts';
import { UpdateFeed, type WebhookDelivery } from './fake-bot-api/update-feed.ts';

export type { ApiResponse, RecordedCall, WaitOptions } from './fake-bot-api/recorder.ts';
export type {
  ButtonPress,
  ChooseInlineResultInput,
  ChosenInline,
  InlineQueryInput,
  MessageRef,
  RawUpdate,
  UserInput,
  UserMessageInput,
} from './fake-bot-api/driver.ts';
export type { InlineAnswer, InlineContent, InlineResult } from './fake-bot-api/inline-results.ts';
export type { InvoiceSpec } from './fake-bot-api/invoices.ts';
export type { UploadedFile } from './fake-bot-api/multipart.ts';
export type { PaymentOutcome, PaymentStatus, PayInvoiceInput } from './fake-bot-api/payment-driver.ts';
export type { Charge, PreCheckoutAnswer } from './fake-bot-api/payments.ts';
export type { CallbackAnswer, StoredFile } from './fake-bot-api/telegram-state.ts';
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
  /** How long a payment waits for `answerPreCheckoutQuery` before Telegram cancels it (10 s). */
  preCheckoutTimeoutMs?: number;
  /** Inline feedback (BotFather's /setinlinefeedback): push `chosen_inline_result`. Off by default. */
  inlineFeedback?: boolean;
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
  /** The invoice of an invoice message (sendInvoice, or an inline invoice result). */
  invoice: Invoice | undefined;
  deleted: boolean;
  edits: number;
  /** The whole `Message` as Telegram would return it now. */
  message: Message;
}

/** A message a user sent through the bot's inline mode, in its current version after the bot's edits. */
export interface InlineMessage extends SentMessage {
  inlineMessageId: string;
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
  /**
   * `/start` or `/start <payload>` in the user's private chat, as a client sends it for a deep link;
   * throws on a payload Telegram would not pass on (1–64 of `A–Z a–z 0–9 _ -`).
   */
  sendStart(input: { from: UserInput; payload?: string }): Update;
  /** A user opens `https://t.me/<this bot>?start=<payload>`; throws if the link is not to this bot. */
  openStartLink(input: { from: UserInput; url: string }): Update;
  /**
   * A user presses an inline button on a message in a chat (`message`) or on an inline message
   * (`inlineMessageId`: the callback query then carries `inline_message_id` and no `message`).
   * Throws if the message shows no such button (unless `force`). Any user may press; pressing
   * twice queues two callback queries.
   */
  pressButton(press: ButtonPress): Update;
  /** How the bot answered a callback query (`show_alert`, text, timing), once it has. */
  callbackAnswer(callbackQueryId: string): CallbackAnswer | undefined;
  /** Resolves with the bot's answer to a callback query; rejects on timeout (default 5 s). */
  waitForCallbackAnswer(callbackQueryId: string, options?: WaitOptions): Promise<CallbackAnswer>;
  /** A user types an inline query. */
  sendInlineQuery(input: InlineQueryInput): Update;
  /** The bot's validated answer to an inline query, once it has answered. */
  inlineAnswer(inlineQueryId: string): InlineAnswer | undefined;
  /** Resolves with the bot's accepted answer to an inline query; rejects on timeout (default 5 s). */
  waitForInlineAnswer(inlineQueryId: string, options?: WaitOptions): Promise<InlineAnswer>;
  /**
   * The user sends one of the answered results into a chat (`via_bot`); see `ChosenInline`.
   * Pushes `chosen_inline_result` when inline feedback is on.
   */
  chooseInlineResult(input: ChooseInlineResultInput): ChosenInline;
  /** An inline message (by `inline_message_id`) in its current version. */
  inlineMessage(inlineMessageId: string): InlineMessage | undefined;
  /** Turns inline feedback on or off, as BotFather's /setinlinefeedback does. */
  setInlineFeedback(enabled: boolean): void;
  /**
   * A user pays an invoice (a sendInvoice message, an inline invoice message, or a
   * createInvoiceLink link): `pre_checkout_query`, then, if the bot answers ok in time,
   * `successful_payment` in the user's private chat. Resolves when the attempt is over.
   */
  payInvoice(input: PayInvoiceInput): Promise<PaymentOutcome>;
  /** Delivers a charge's `successful_payment` again (new update by default; see PaymentDriver). */
  redeliverPayment(chargeId: string, options?: { sameUpdate?: boolean }): Update;
  /** Completed payments, oldest first, with their refund state. */
  charges(): Charge[];
  /** Tracks a user's Star balance from now on (untracked users can pay any amount). */
  setStarBalance(userId: number, stars: number): void;
  /** A tracked user's Star balance after payments and refunds; undefined when untracked. */
  starBalance(userId: number): number | undefined;
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
   * Forgets recorded calls, chats, messages, files, commands, pending updates, the webhook,
   * invoices, charges and Star balances (a payment still waiting ends as timed out);
   * update ids keep increasing, as on Telegram.
   */
  reset(): void;
  /** Ends held `getUpdates` requests and pending payments, stops webhook delivery, closes the server. */
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
  const ledger = new PaymentLedger();
  let inlineFeedback = options.inlineFeedback ?? false;
  const feed = new UpdateFeed({
    retryDelaysMs: options.webhook?.retryDelaysMs ?? [50, 100, 200],
    requestTimeoutMs: options.webhook?.requestTimeoutMs ?? 10_000,
    onWebhookReply: async (method, params) => {
      await dispatch(method, params, {}, new AbortController().signal);
    },
  });
  const botSender = {
    id: botUser.id,
    is_bot: true,
    first_name: botUser.first_name,
    username: botUser.username,
  };
  const driver = new UserDriver({
    state,
    feed,
    ledger,
    now,
    botSender,
    inlineFeedback: () => inlineFeedback,
  });
  const push = (raw: RawUpdate): Update => driver.pushUpdate(raw);
  const methods = createMethods({ state, feed, ledger, push, botUser, botSender, now });
  const payments = new PaymentDriver(state, ledger, push, now, options.preCheckoutTimeoutMs ?? 10_000);
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
    ledger.close();
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
    sendStart: (input) => driver.sendStart(input),
    openStartLink: (input) => driver.openStartLink({ ...input, botUsername: botUser.username }),
    pressButton: (press) => driver.pressButton(press),
    callbackAnswer: (id) => state.callbackQueries.get(id)?.answer,
    waitForCallbackAnswer: async (id, waitOptions) => {
      await recorder.waitFor(
        (call) =>
          call.method === 'answerCallbackQuery' &&
          call.status === 200 &&
          call.params.callback_query_id === id,
        waitOptions,
      );
      const answer = state.callbackQueries.get(id)?.answer;
      if (!answer) throw new Error(`callback query ${id} was answered but its answer is gone (reset?)`);
      return answer;
    },
    sendInlineQuery: (input) => driver.sendInlineQuery(input),
    inlineAnswer: (id) => state.inlineQueries.get(id)?.answer,
    waitForInlineAnswer: async (id, waitOptions) => {
      await recorder.waitFor(
        (call) =>
          call.method === 'answerInlineQuery' && call.status === 200 && call.params.inline_query_id === id,
        waitOptions,
      );
      const answer = state.inlineQueries.get(id)?.answer;
      if (!answer) throw new Error(`inline query ${id} was answered but its answer is gone (reset?)`);
      return answer;
    },
    chooseInlineResult: (input) => driver.chooseInlineResult(input),
    inlineMessage: (id) => {
      const stored = state.inlineMessages.get(id);
      return stored ? { ...sentMessage(stored), inlineMessageId: id } : undefined;
    },
    setInlineFeedback: (enabled) => {
      inlineFeedback = enabled;
    },
    payInvoice: (input) => payments.payInvoice(input),
    redeliverPayment: (chargeId, redelivery) => payments.redeliverPayment(chargeId, redelivery),
    charges: () => [...ledger.charges.values()].map((charge) => ({ ...charge })),
    setStarBalance: (userId, stars) => {
      if (!Number.isSafeInteger(stars) || stars < 0)
        throw new Error(`setStarBalance: not a Star count: ${stars}`);
      ledger.balances.set(userId, stars);
    },
    starBalance: (userId) => ledger.balances.get(userId),
    pushUpdate: (raw) => driver.pushUpdate(raw),
    addChat: (chat) => state.registerChat(chat),
    blockBot: (userId, blocked = true) => {
      if (blocked) state.blockedBy.add(userId);
      else state.blockedBy.delete(userId);
    },
    calls: (method) => recorder.calls(method),
    waitFor: (predicate, waitOptions) => recorder.waitFor(predicate, waitOptions),
    sentMessages: (chatId) => state.sentByBot(chatId).map(sentMessage),
    file: (fileId) => state.files.get(fileId),
    commands: (query = {}) => state.commands.get(scopeKey(query.scope, query.languageCode)),
    menuButton: (chatId) => state.menuButtons.get(chatId === undefined ? 'default' : String(chatId)),
    pendingUpdates: () => feed.pending(),
    webhookDeliveries: () => feed.deliveries(),
    reset: () => {
      recorder.reset();
      state.reset();
      feed.reset();
      ledger.reset();
      inlineFeedback = options.inlineFeedback ?? false;
    },
    close: () => (closing ??= shutdown()),
  };
}

/** A stored message as the test sees it. */
function sentMessage({ message, deleted, edits, photo }: StoredMessage): SentMessage {
  return {
    chatId: message.chat.id,
    messageId: message.message_id,
    text: message.text,
    caption: message.caption,
    entities: message.entities ?? message.caption_entities ?? [],
    replyMarkup: message.reply_markup,
    photo: message.photo,
    photoBytes: photo?.data,
    invoice: message.invoice,
    deleted,
    edits,
    message,
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
