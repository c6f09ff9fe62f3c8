import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import { Bot, type Context, GrammyError, InputFile, InputMediaBuilder, webhookCallback } from 'grammy';
import type { ChatMemberUpdated, Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ApiResponse,
  type FakeBotApi,
  type FakeBotApiOptions,
  startFakeBotApi,
} from '../doubles/fake-bot-api.ts';

const ANN = { id: 4242, first_name: 'Ann', username: 'ann' };

let fake: FakeBotApi;
/** Bots and servers to stop before the fake closes, last started first. */
let cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  fake = await startFakeBotApi();
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
  await fake.close();
});

function createBot(api: FakeBotApi = fake): Bot {
  return new Bot(api.token, { botInfo: api.botUser, client: { apiRoot: api.url } });
}

/** Starts long polling and resolves once it runs; `bot.stop()` is registered for cleanup. */
async function startPolling(bot: Bot): Promise<{ stop: () => Promise<void> }> {
  let running: Promise<void> = Promise.resolve();
  await new Promise<void>((resolve, reject) => {
    running = bot.start({ onStart: () => resolve() });
    running.catch(reject);
  });
  const stop = async (): Promise<void> => {
    if (bot.isRunning()) await bot.stop();
    await running;
  };
  cleanups.push(stop);
  return { stop };
}

/** Resolves once `condition` holds (checked every 5 ms), for effects with no recorded call to wait on. */
async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function grammyError(promise: Promise<unknown>): Promise<GrammyError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof GrammyError)) throw new Error(`expected a GrammyError, got ${String(error)}`);
  return error;
}

/** A real, decodable PNG of the given size (grey pixels). */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const rows = Buffer.alloc((width + 1) * height, 0x80);
  for (let row = 0; row < height; row += 1) rows[row * (width + 1)] = 0; // filter byte
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function listen(handler: RequestListener): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram`, server };
}

describe('a grammY bot polling the fake', () => {
  it('receives a command as a message with a bot_command entity and replies into the chat', async () => {
    const bot = createBot();
    const seen: Update[] = [];
    bot.command('start', async (ctx) => {
      seen.push(ctx.update);
      await ctx.reply(`Welcome, ${ctx.from?.first_name ?? 'stranger'}!`);
    });
    await startPolling(bot);

    const update = fake.sendUserMessage({ from: ANN, text: '/start' });
    await fake.waitFor((call) => call.method === 'sendMessage');

    expect(seen.map((handled) => handled.update_id)).toEqual([update.update_id]);
    expect(seen[0]?.message).toMatchObject({
      chat: { id: ANN.id, type: 'private' },
      from: { id: ANN.id, is_bot: false, first_name: 'Ann', language_code: 'en' },
      entities: [{ type: 'bot_command', offset: 0, length: 6 }],
    });
    const [reply] = fake.sentMessages(ANN.id);
    expect(reply?.text).toBe('Welcome, Ann!');
    expect(reply?.message.from?.id).toBe(fake.botUser.id);
    expect(reply?.messageId).toBeGreaterThan(update.message?.message_id ?? Infinity);
  });

  it('handles no update twice when polling restarts, because stopping confirms the offset', async () => {
    const handled: number[] = [];
    const first = createBot();
    first.on('message', (ctx) => {
      handled.push(ctx.update.update_id);
    });
    const polling = await startPolling(first);
    fake.sendUserMessage({ from: ANN, text: 'one' });
    fake.sendUserMessage({ from: ANN, text: 'two' });
    await until(() => handled.length === 2);
    await polling.stop();
    expect(fake.pendingUpdates()).toEqual([]);

    const second = createBot();
    second.on('message', (ctx) => {
      handled.push(ctx.update.update_id);
    });
    await startPolling(second);
    fake.sendUserMessage({ from: ANN, text: 'three' });
    await until(() => handled.length === 3);
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(handled).toHaveLength(3);
    expect(new Set(handled).size).toBe(3);
    expect(handled).toEqual([...handled].sort((a, b) => a - b));
  });

  it('returns an update until an offset above its id confirms it, as Telegram does', async () => {
    const bot = createBot();
    const update = fake.sendUserMessage({ from: ANN, text: 'hello' });

    expect((await bot.api.getUpdates()).map((u) => u.update_id)).toEqual([update.update_id]);
    expect((await bot.api.getUpdates()).map((u) => u.update_id)).toEqual([update.update_id]);
    expect(await bot.api.getUpdates({ offset: update.update_id + 1 })).toEqual([]);
    expect(fake.pendingUpdates()).toEqual([]);
  });

  it('delivers a pushed duplicate again, so deduplication by update_id can be tested', async () => {
    const handled: number[] = [];
    const bot = createBot();
    bot.on('message', (ctx) => {
      handled.push(ctx.update.update_id);
    });
    await startPolling(bot);

    const original = fake.sendUserMessage({ from: ANN, text: 'pay 5' });
    await until(() => handled.length === 1);
    fake.pushUpdate(original);
    await until(() => handled.length === 2);

    expect(handled).toEqual([original.update_id, original.update_id]);
  });
});

describe('long polling', () => {
  it('holds getUpdates until an update arrives, and releases a held poll promptly on close', async () => {
    const bot = createBot();
    const held = bot.api.getUpdates({ timeout: 30 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const update = fake.sendUserMessage({ from: ANN, text: 'wake up' });
    expect((await held).map((u) => u.update_id)).toEqual([update.update_id]);

    const idle = bot.api.getUpdates({ offset: update.update_id + 1, timeout: 30 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const closing = Date.now();
    await fake.close();

    expect(await idle).toEqual([]);
    expect(Date.now() - closing).toBeLessThan(1000);
  });

  it('leaves out chat_member updates unless allowed_updates asks for them', async () => {
    const bot = createBot();
    const staff = { id: -1001234567890, type: 'supergroup' as const, title: 'Staff' };
    const member = {
      status: 'member' as const,
      user: { id: ANN.id, is_bot: false, first_name: ANN.first_name },
    };
    const joined: ChatMemberUpdated = {
      chat: staff,
      from: member.user,
      date: Math.floor(Date.now() / 1000),
      old_chat_member: { status: 'left', user: member.user },
      new_chat_member: member,
    };

    fake.pushUpdate({ chat_member: joined });
    expect(await bot.api.getUpdates()).toEqual([]);

    await bot.api.getUpdates({ allowed_updates: ['message', 'chat_member'] });
    const update = fake.pushUpdate({ chat_member: joined });
    expect((await bot.api.getUpdates()).map((u) => u.update_id)).toEqual([update.update_id]);
  });
});

describe('sending to a chat', () => {
  it('refuses unknown chats, users who never started the bot and users who blocked it', async () => {
    const bot = createBot();
    const staff = { id: -1001234567890, type: 'supergroup' as const, title: 'Staff' };
    fake.sendUserMessage({ from: ANN, chat: staff, text: 'hello group' });

    expect((await grammyError(bot.api.sendMessage(777, 'hi'))).description).toBe(
      'Bad Request: chat not found',
    );
    expect((await grammyError(bot.api.sendMessage(ANN.id, 'hi'))).description).toBe(
      "Forbidden: bot can't initiate conversation with a user",
    );
    fake.sendUserMessage({ from: ANN, text: '/start' });
    await bot.api.sendMessage(ANN.id, 'hi');
    fake.blockBot(ANN.id);
    const blocked = await grammyError(bot.api.sendMessage(ANN.id, 'still there?'));
    expect(blocked.error_code).toBe(403);
    expect(blocked.description).toBe('Forbidden: bot was blocked by the user');
  });
});

describe('sending a photo', () => {
  it('records the uploaded InputFile byte for byte, with its dimensions', async () => {
    fake.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
    const bot = createBot();
    // Bytes that look like multipart framing must not confuse the parser.
    const picture = Buffer.concat([png(3, 2), Buffer.from('\r\n--not-a-boundary\r\n\r\n')]);

    const sent = await bot.api.sendPhoto(ANN.id, new InputFile(picture, 'qr.png'), { caption: 'Scan me' });

    const call = fake.calls('sendPhoto')[0];
    expect((call?.params.photo as { data: Buffer }).data.equals(picture)).toBe(true);
    expect(call?.params.chat_id).toBe(ANN.id);
    const [message] = fake.sentMessages(ANN.id);
    expect(message?.photoBytes?.equals(picture)).toBe(true);
    expect(message?.caption).toBe('Scan me');
    expect(sent.photo?.at(-1)).toMatchObject({ width: 3, height: 2, file_size: picture.length });
  });

  it('sends the same file again by its file_id', async () => {
    fake.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
    const bot = createBot();
    const first = await bot.api.sendPhoto(ANN.id, new InputFile(png(1, 1)));
    const fileId = first.photo?.at(-1)?.file_id ?? '';

    const again = await bot.api.sendPhoto(ANN.id, fileId);

    expect(again.photo?.at(-1)?.file_id).toBe(fileId);
    expect(fake.file(fileId)?.data?.equals(png(1, 1))).toBe(true);
    const refused = await grammyError(bot.api.sendPhoto(ANN.id, 'no-such-file-id'));
    expect(refused.description).toBe('Bad Request: wrong file identifier/HTTP URL specified');
  });
});

describe('sending an album', () => {
  it('sends uploaded photos as one media group and refuses more than ten items', async () => {
    fake.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
    const bot = createBot();
    const pictures = [png(2, 2), png(4, 3)];

    const album = await bot.api.sendMediaGroup(
      ANN.id,
      pictures.map((picture, index) =>
        InputMediaBuilder.photo(new InputFile(picture), { caption: `#${index + 1}` }),
      ),
    );

    expect(album).toHaveLength(2);
    const sent = fake.sentMessages(ANN.id);
    const [groupId] = sent.map((message) => message.message.media_group_id);
    expect(groupId).toBeDefined();
    expect(sent.map((message) => message.message.media_group_id)).toEqual([groupId, groupId]);
    expect(sent.map((message) => message.caption)).toEqual(['#1', '#2']);
    expect(sent.map((message) => message.photoBytes)).toEqual(pictures);
    const fileId = sent[0]?.photo?.[0]?.file_id ?? '';
    const eleven = Array.from({ length: 11 }, () => InputMediaBuilder.photo(fileId));
    const error = await grammyError(bot.api.sendMediaGroup(ANN.id, eleven));
    expect(error.description).toBe('Bad Request: too many messages to send as an album');
  });
});

describe('inline keyboards', () => {
  beforeEach(() => {
    fake.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
  });

  const withButton = (data: string) => ({
    reply_markup: { inline_keyboard: [[{ text: 'Pay', callback_data: data }]] },
  });

  it('accepts callback_data of exactly 64 bytes', async () => {
    const sent = await createBot().api.sendMessage(ANN.id, 'Confirm?', withButton('x'.repeat(64)));
    expect(sent.reply_markup?.inline_keyboard[0]?.[0]).toMatchObject({ callback_data: 'x'.repeat(64) });
  });

  it.each([
    ['65 ASCII characters', 'x'.repeat(65)],
    ['22 four-byte emoji (88 bytes, 44 UTF-16 units)', '💸'.repeat(22)],
  ])('refuses callback_data of %s with BUTTON_DATA_INVALID', async (_label, data) => {
    const error = await grammyError(createBot().api.sendMessage(ANN.id, 'Confirm?', withButton(data)));
    expect(error.error_code).toBe(400);
    expect(error.description).toBe('Bad Request: BUTTON_DATA_INVALID');
    expect(fake.sentMessages(ANN.id)).toEqual([]);
  });

  it('refuses a URL button whose link is not http(s) or tg', async () => {
    const link = 'web+stellar:pay?destination=GABC';
    const error = await grammyError(
      createBot().api.sendMessage(ANN.id, 'Pay', {
        reply_markup: { inline_keyboard: [[{ text: 'Open', url: link }]] },
      }),
    );
    expect(error.description).toBe(
      `Bad Request: inline keyboard button URL '${link}' is invalid: Unsupported URL protocol`,
    );
  });

  it('delivers a button press as a callback query that can be answered once', async () => {
    const bot = createBot();
    const answers: boolean[] = [];
    bot.callbackQuery('confirm:1', async (ctx) => {
      answers.push(await ctx.answerCallbackQuery({ text: 'Done' }));
      const again = await grammyError(ctx.answerCallbackQuery());
      answers.push(again.description.includes('query is too old'));
      await ctx.editMessageText('Paid ✅');
    });
    await startPolling(bot);
    const message = await bot.api.sendMessage(ANN.id, 'Confirm?', withButton('confirm:1'));

    fake.pressButton({ from: ANN, message, data: 'confirm:1' });
    await fake.waitFor((call) => call.method === 'editMessageText' && call.status === 200);

    expect(answers).toEqual([true, true]);
    const [edited] = fake.sentMessages(ANN.id);
    expect(edited).toMatchObject({ text: 'Paid ✅', replyMarkup: undefined, edits: 1 });
    expect(() => fake.pressButton({ from: ANN, message, data: 'confirm:1' })).toThrow(/shows no button/);
  });
});

describe('editing a message', () => {
  beforeEach(() => {
    fake.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
  });

  it('refuses an edit that changes nothing with "message is not modified"', async () => {
    const bot = createBot();
    const keyboard = { inline_keyboard: [[{ text: 'Refresh', callback_data: 'refresh' }]] };
    const sent = await bot.api.sendMessage(ANN.id, '<b>Balance</b>: 5 XLM', {
      parse_mode: 'HTML',
      reply_markup: keyboard,
    });

    const error = await grammyError(
      bot.api.editMessageText(ANN.id, sent.message_id, '<b>Balance</b>: 5 XLM', {
        parse_mode: 'HTML',
        reply_markup: keyboard,
      }),
    );

    expect(error.description).toBe(
      'Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    );
    const edited = await bot.api.editMessageText(ANN.id, sent.message_id, '<b>Balance</b>: 6 XLM', {
      parse_mode: 'HTML',
      reply_markup: keyboard,
    });
    expect(edited).toMatchObject({
      text: 'Balance: 6 XLM',
      entities: [{ type: 'bold', offset: 0, length: 7 }],
    });
  });

  it('refuses to edit a message that does not exist', async () => {
    const error = await grammyError(createBot().api.editMessageText(ANN.id, 999, 'new'));
    expect(error.description).toBe('Bad Request: message to edit not found');
  });

  it('refuses HTML with an unclosed tag, as Telegram cannot parse its entities', async () => {
    const error = await grammyError(
      createBot().api.sendMessage(ANN.id, '<b>Total: 5', { parse_mode: 'HTML' }),
    );
    expect(error.description).toBe(
      `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`,
    );
  });
});

describe('webhook delivery', () => {
  const SECRET = 'hook-secret_42';

  /** A webhook server: grammY's handler, behind a gate that can fail the first requests. */
  async function webhookServer(bot: Bot<Context>, failFirst = 0) {
    const received: IncomingHttpHeaders[] = [];
    const handle = webhookCallback(bot, 'http', { secretToken: SECRET });
    const { url } = await listen((request, response) => {
      received.push(request.headers);
      if (received.length <= failFirst) {
        request.resume();
        response.writeHead(500).end();
        return;
      }
      void handle(request, response);
    });
    return { url, received };
  }

  it('POSTs each update to the webhook with the secret token header', async () => {
    const bot = createBot();
    bot.command('start', (ctx) => ctx.reply('Hi from a webhook'));
    const { url, received } = await webhookServer(bot);
    await bot.api.setWebhook(url, { secret_token: SECRET });

    fake.sendUserMessage({ from: ANN, text: '/start' });
    await fake.waitFor((call) => call.method === 'sendMessage');

    expect(received[0]?.['x-telegram-bot-api-secret-token']).toBe(SECRET);
    expect(fake.sentMessages(ANN.id).map((message) => message.text)).toEqual(['Hi from a webhook']);
    expect(await bot.api.getWebhookInfo()).toMatchObject({ url, pending_update_count: 0 });
  });

  it('retries a delivery that the webhook answered with 500', async () => {
    const bot = createBot();
    const handled: number[] = [];
    bot.on('message', (ctx) => {
      handled.push(ctx.update.update_id);
    });
    const { url } = await webhookServer(bot, 1);
    await bot.api.setWebhook(url, { secret_token: SECRET });

    const update = fake.sendUserMessage({ from: ANN, text: 'hello' });
    await until(() => fake.webhookDeliveries().some((delivery) => delivery.delivered));

    expect(handled).toEqual([update.update_id]);
    expect(fake.webhookDeliveries()).toMatchObject([
      { updateId: update.update_id, attempt: 1, status: 500, delivered: false },
      { updateId: update.update_id, attempt: 2, status: 200, delivered: true },
    ]);
    expect((await bot.api.getWebhookInfo()).last_error_message).toContain('500');
  });

  it('refuses getUpdates while a webhook is set, until it is deleted', async () => {
    const bot = createBot();
    await bot.api.setWebhook('http://127.0.0.1:9/telegram');

    const error = await grammyError(bot.api.getUpdates());

    expect(error.error_code).toBe(409);
    expect(error.description).toBe(
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
    await bot.api.deleteWebhook();
    expect(await bot.api.getUpdates()).toEqual([]);
  });
});

describe('the HTTP surface', () => {
  it('answers an unknown token with 401 Unauthorized and an unknown method with 404 Not Found', async () => {
    const wrongToken = await fetch(`${fake.url}/bot1:wrong/getMe`, { method: 'POST' });
    expect(wrongToken.status).toBe(401);
    expect(await wrongToken.json()).toEqual({ ok: false, error_code: 401, description: 'Unauthorized' });

    const unknownMethod = await fetch(`${fake.url}/bot${fake.token}/sendTelepathy`, { method: 'POST' });
    expect(unknownMethod.status).toBe(404);
    expect(await unknownMethod.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found' });
  });

  it('answers 429 with retry_after once a chat exceeds the configured rate', async () => {
    const limited = await startFakeBotApi({ rateLimit: { perChatPerSecond: 1 } } satisfies FakeBotApiOptions);
    cleanups.push(() => limited.close());
    limited.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
    const bot = createBot(limited);

    await bot.api.sendMessage(ANN.id, 'first');
    const error = await grammyError(bot.api.sendMessage(ANN.id, 'second'));

    expect(error.error_code).toBe(429);
    expect(error.description).toBe('Too Many Requests: retry after 1');
    expect(error.parameters.retry_after).toBe(1);
  });

  it('stores commands per scope and language', async () => {
    const bot = createBot();
    await bot.api.setMyCommands([{ command: 'pay', description: 'Pay someone' }]);
    await bot.api.setMyCommands([{ command: 'pagar', description: 'Pagar' }], { language_code: 'es' });

    expect(await bot.api.getMyCommands({ language_code: 'es' })).toEqual([
      { command: 'pagar', description: 'Pagar' },
    ]);
    expect(fake.commands()).toEqual([{ command: 'pay', description: 'Pay someone' }]);
    const error = await grammyError(bot.api.setMyCommands([{ command: 'Pay', description: 'x' }]));
    expect(error.description).toBe('Bad Request: BOT_COMMAND_INVALID');
  });
});

/** Calls the fake directly with a JSON body, for requests grammY's types would not let a bot write. */
async function rawCall(method: string, body: Record<string, unknown>): Promise<ApiResponse> {
  const response = await fetch(`${fake.url}/bot${fake.token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as ApiResponse;
}

function description(response: ApiResponse): string | undefined {
  return response.ok ? undefined : response.description;
}

const BOB = { id: 4343, first_name: 'Bob', username: 'bob' };
const article = (id: string, text = `Invoice ${id}`) => ({
  type: 'article' as const,
  id,
  title: text,
  input_message_content: { message_text: text },
});

describe('inline mode', () => {
  it('delivers the inline query with its offset and chat type, and records the accepted answer', async () => {
    const bot = createBot();
    const update = fake.sendInlineQuery({
      from: ANN,
      query: '10 XLM coffee',
      offset: '20',
      chat_type: 'private',
    });
    const [received] = await bot.api.getUpdates();
    const queryId = update.inline_query?.id ?? '';
    expect(received?.inline_query).toMatchObject({
      id: queryId,
      query: '10 XLM coffee',
      offset: '20',
      chat_type: 'private',
      from: { id: ANN.id },
    });

    await bot.api.answerInlineQuery(queryId, [article('inv-1')], {
      next_offset: '40',
      is_personal: true,
      cache_time: 0,
    });

    const answer = fake.inlineAnswer(queryId);
    expect(answer).toMatchObject({ nextOffset: '40', isPersonal: true, cacheTime: 0 });
    expect(answer?.results.map((result) => [result.id, result.type, result.title])).toEqual([
      ['inv-1', 'article', 'Invoice inv-1'],
    ]);
    expect(answer?.answeredAfterMs).toBeGreaterThanOrEqual(0);
    const again = await grammyError(bot.api.answerInlineQuery(queryId, []));
    expect(again.description).toBe(
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    );
  });

  it('refuses more than 50 results with the Bot API server’s own wording, and accepts 50', async () => {
    const bot = createBot();
    const queryId = fake.sendInlineQuery({ from: ANN, query: 'inv' }).inline_query?.id ?? '';
    const results = Array.from({ length: 51 }, (_, i) => article(String(i)));

    const error = await grammyError(bot.api.answerInlineQuery(queryId, results));

    expect(error.description).toBe('Bad Request: too many inline query results specified');
    expect(await bot.api.answerInlineQuery(queryId, results.slice(0, 50))).toBe(true);
  });

  it.each([
    ['a duplicate result id', [article('a'), article('a')], {}, 'Bad Request: RESULT_ID_DUPLICATE'],
    ['a result id over 64 bytes', [article('é'.repeat(33))], {}, 'Bad Request: RESULT_ID_INVALID'],
    [
      'a next_offset over 64 bytes',
      [article('a')],
      { next_offset: 'x'.repeat(65) },
      'Bad Request: NEXT_OFFSET_INVALID',
    ],
    [
      'a 65-byte callback_data',
      [
        {
          ...article('a'),
          reply_markup: { inline_keyboard: [[{ text: 'Pay', callback_data: 'x'.repeat(65) }]] },
        },
      ],
      {},
      'Bad Request: BUTTON_DATA_INVALID',
    ],
    [
      'a web+stellar URL button',
      [
        {
          ...article('a'),
          reply_markup: { inline_keyboard: [[{ text: 'Open', url: 'web+stellar:pay?x=1' }]] },
        },
      ],
      {},
      "Bad Request: inline keyboard button URL 'web+stellar:pay?x=1' is invalid: Unsupported URL protocol",
    ],
    [
      'an article without a title',
      [{ type: 'article', id: 'a', input_message_content: { message_text: 'x' } }],
      {},
      `Bad Request: can't parse inline query result: Can't find field "title"`,
    ],
    ['an empty article title', [{ ...article('a'), title: ' ' }], {}, 'Bad Request: ARTICLE_TITLE_EMPTY'],
    [
      'an unknown result type',
      [{ ...article('a'), type: 'hologram' }],
      {},
      `Bad Request: can't parse inline query result: type "hologram" is unsupported for the inline query result`,
    ],
    [
      'a cached photo with an unknown file_id',
      [{ type: 'photo', id: 'qr', photo_file_id: 'AgACAgNoSuchFile' }],
      {},
      "Bad Request: wrong remote file identifier specified: can't unserialize it",
    ],
    [
      'a photo by URL without a thumbnail',
      [{ type: 'photo', id: 'qr', photo_url: 'https://pay.example.com/qr/abc.jpg' }],
      {},
      'Bad Request: PHOTO_THUMB_URL_EMPTY',
    ],
  ])('refuses %s', async (_label, results, extra, expected) => {
    const queryId = fake.sendInlineQuery({ from: ANN, query: 'inv' }).inline_query?.id ?? '';

    const response = await rawCall('answerInlineQuery', { inline_query_id: queryId, results, ...extra });

    expect(description(response)).toBe(expected);
    expect(fake.inlineAnswer(queryId)).toBeUndefined();
  });

  it('posts a chosen article via the bot; its button press reaches the bot with inline_message_id and the bot edits it', async () => {
    const bot = createBot();
    const presses: Array<{ inlineMessageId: string | undefined; hasMessage: boolean; from: number }> = [];
    bot.on('inline_query', (ctx) =>
      ctx.answerInlineQuery([
        {
          ...article('inv-7', 'Invoice: 10 XLM for coffee'),
          reply_markup: { inline_keyboard: [[{ text: 'Pay', callback_data: 'pay:7' }]] },
        },
      ]),
    );
    bot.callbackQuery('pay:7', async (ctx) => {
      presses.push({
        inlineMessageId: ctx.callbackQuery.inline_message_id,
        hasMessage: ctx.callbackQuery.message !== undefined,
        from: ctx.from.id,
      });
      await ctx.answerCallbackQuery();
      await ctx.editMessageText('Invoice: paid by Bob ✅');
    });
    await startPolling(bot);
    const queryId = fake.sendInlineQuery({ from: ANN, query: '10 XLM coffee' }).inline_query?.id ?? '';
    await fake.waitForInlineAnswer(queryId);

    const chosen = fake.chooseInlineResult({ query: queryId, resultId: 'inv-7' });
    expect(chosen.message).toMatchObject({
      text: 'Invoice: 10 XLM for coffee',
      from: { id: ANN.id },
      via_bot: { id: fake.botUser.id, username: fake.botUser.username },
    });
    expect(chosen.message.chat.id).not.toBe(ANN.id);
    expect(chosen.feedbackUpdate).toBeUndefined();
    const inlineMessageId = chosen.inlineMessageId ?? '';

    fake.pressButton({ from: BOB, inlineMessageId, data: 'pay:7' });
    const edit = await fake.waitFor((call) => call.method === 'editMessageText');

    expect(edit.response).toEqual({ ok: true, result: true });
    expect(edit.params).toMatchObject({ inline_message_id: inlineMessageId });
    expect(presses).toEqual([{ inlineMessageId, hasMessage: false, from: BOB.id }]);
    expect(fake.inlineMessage(inlineMessageId)).toMatchObject({
      text: 'Invoice: paid by Bob ✅',
      replyMarkup: undefined,
      edits: 1,
    });
    const unchanged = await grammyError(
      bot.api.editMessageTextInline(inlineMessageId, 'Invoice: paid by Bob ✅'),
    );
    expect(unchanged.description).toMatch(/^Bad Request: message is not modified/);
    const unknown = await grammyError(bot.api.editMessageTextInline('AgAAAnotAnInlineMessage', 'x'));
    expect(unknown.description).toBe('Bad Request: MESSAGE_ID_INVALID');
  });

  it('posts a photo result by URL (a QR picture) whose caption and keyboard the bot edits inline', async () => {
    const bot = createBot();
    const queryId = fake.sendInlineQuery({ from: ANN, query: 'qr' }).inline_query?.id ?? '';
    const qr = 'https://pay.example.com/qr/inv-9.jpg';
    await bot.api.answerInlineQuery(queryId, [
      {
        type: 'photo',
        id: 'qr-9',
        photo_url: qr,
        thumbnail_url: qr,
        caption: '<b>Scan</b> to pay',
        parse_mode: 'HTML',
        reply_markup: { inline_keyboard: [[{ text: 'Open pay page', url: 'https://pay.example.com/i/9' }]] },
      },
    ]);

    const answer = fake.inlineAnswer(queryId);
    expect(answer?.results[0]?.content).toMatchObject({ kind: 'photo', file: { url: qr } });

    const { inlineMessageId = '', message } = fake.chooseInlineResult({ query: queryId, resultId: 'qr-9' });
    expect(message.caption).toBe('Scan to pay');
    expect(message.caption_entities).toEqual([{ type: 'bold', offset: 0, length: 4 }]);
    expect(fake.file(message.photo?.at(-1)?.file_id ?? '')?.url).toBe(qr);

    expect(await bot.api.editMessageCaptionInline(inlineMessageId, { caption: 'Paid' })).toBe(true);
    const keyboard = { inline_keyboard: [[{ text: 'Receipt', callback_data: 'receipt:9' }]] };
    expect(await bot.api.editMessageReplyMarkupInline(inlineMessageId, { reply_markup: keyboard })).toBe(
      true,
    );
    expect(fake.inlineMessage(inlineMessageId)).toMatchObject({
      caption: 'Paid',
      replyMarkup: keyboard,
      edits: 2,
    });
    const unchanged = await grammyError(
      bot.api.editMessageReplyMarkupInline(inlineMessageId, { reply_markup: keyboard }),
    );
    expect(unchanged.description).toMatch(/^Bad Request: message is not modified/);
  });

  it('posts a cached photo result by the file_id of a photo the bot uploaded before', async () => {
    fake.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
    const bot = createBot();
    const uploaded = await bot.api.sendPhoto(ANN.id, new InputFile(png(5, 5), 'qr.png'));
    const fileId = uploaded.photo?.at(-1)?.file_id ?? '';
    const queryId = fake.sendInlineQuery({ from: ANN, query: 'qr' }).inline_query?.id ?? '';
    await bot.api.answerInlineQuery(queryId, [{ type: 'photo', id: 'qr-cached', photo_file_id: fileId }]);

    const chosen = fake.chooseInlineResult({ query: queryId, resultId: 'qr-cached' });

    expect(chosen.message.photo?.at(-1)).toMatchObject({ file_id: fileId, width: 5, height: 5 });
    // Without a keyboard the message gets no inline_message_id: the bot can neither edit it nor see presses.
    expect(chosen.inlineMessageId).toBeUndefined();
  });

  it('pushes chosen_inline_result only once the bot enabled inline feedback', async () => {
    const bot = createBot();
    const ask = async () => {
      const queryId =
        fake.sendInlineQuery({ from: ANN, query: 'inv', chat_type: 'sender' }).inline_query?.id ?? '';
      await bot.api.answerInlineQuery(queryId, [
        {
          ...article('inv-1'),
          reply_markup: { inline_keyboard: [[{ text: 'Pay', callback_data: 'pay:1' }]] },
        },
      ]);
      return queryId;
    };
    const quiet = fake.chooseInlineResult({ query: await ask(), resultId: 'inv-1' });
    fake.setInlineFeedback(true);
    const told = fake.chooseInlineResult({ query: await ask(), resultId: 'inv-1' });

    expect(quiet.feedbackUpdate).toBeUndefined();
    expect(told.feedbackUpdate?.chosen_inline_result).toEqual({
      result_id: 'inv-1',
      from: expect.objectContaining({ id: ANN.id }),
      query: 'inv',
      inline_message_id: told.inlineMessageId,
    });
    // Sent into the user's own chat with the bot, the message itself reaches the bot too.
    expect(told.message.chat.id).toBe(ANN.id);
    expect(told.messageUpdate?.message?.via_bot?.id).toBe(fake.botUser.id);
    const types = (await bot.api.getUpdates()).map((update) =>
      Object.keys(update).find((key) => key !== 'update_id'),
    );
    expect(types.filter((type) => type === 'chosen_inline_result')).toHaveLength(1);
  });
});

describe('Telegram Stars invoices', () => {
  beforeEach(() => {
    fake.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
  });

  const starsInvoice = (overrides: Record<string, unknown> = {}) => ({
    chat_id: ANN.id,
    title: 'Coffee beans',
    description: 'Invoice inv-42 from @ann',
    payload: 'inv:42',
    currency: 'XTR',
    prices: [{ label: 'Coffee beans', amount: 50 }],
    ...overrides,
  });

  it('sends an invoice message whose keyboard starts with the Pay button', async () => {
    const keyboard = {
      inline_keyboard: [
        [{ text: 'Pay ⭐️50', pay: true }],
        [{ text: 'Share', url: 'https://t.me/test_bot?start=inv_42' }],
      ],
    };

    const sent = await createBot().api.sendInvoice(
      ANN.id,
      'Coffee beans',
      'Invoice inv-42',
      'inv:42',
      'XTR',
      [{ label: 'Coffee beans', amount: 50 }],
      { reply_markup: keyboard },
    );

    expect(sent.invoice).toEqual({
      title: 'Coffee beans',
      description: 'Invoice inv-42',
      start_parameter: '',
      currency: 'XTR',
      total_amount: 50,
    });
    expect(fake.sentMessages(ANN.id)[0]).toMatchObject({ invoice: sent.invoice, replyMarkup: keyboard });
  });

  it.each([
    [
      'a Pay button that is not first',
      {
        reply_markup: {
          inline_keyboard: [
            [
              { text: 'Share', url: 'https://t.me/x' },
              { text: 'Pay', pay: true },
            ],
          ],
        },
      },
      'Bad Request: BUTTON_POS_INVALID',
    ],
    [
      'a provider token on a Stars invoice',
      { provider_token: '284685063:TEST:abc' },
      'Bad Request: STARS_INVOICE_INVALID',
    ],
    [
      'two prices on a Stars invoice',
      {
        prices: [
          { label: 'a', amount: 1 },
          { label: 'b', amount: 1 },
        ],
      },
      'Bad Request: STARS_INVOICE_INVALID',
    ],
    ['a payload of 129 bytes', { payload: 'p'.repeat(129) }, 'Bad Request: INVOICE_PAYLOAD_INVALID'],
    ['an empty payload', { payload: '' }, 'Bad Request: parameter "payload" is required'],
    [
      'a total of zero',
      { prices: [{ label: 'free', amount: 0 }] },
      'Bad Request: total price must be positive',
    ],
    ['a title over 32 characters', { title: 't'.repeat(33) }, 'Bad Request: INVOICE_TITLE_INVALID'],
    [
      'a description over 255 characters',
      { description: 'd'.repeat(256) },
      'Bad Request: INVOICE_DESCRIPTION_INVALID',
    ],
  ])('refuses %s', async (_label, overrides, expected) => {
    const response = await rawCall('sendInvoice', starsInvoice(overrides));

    expect(description(response)).toBe(expected);
    expect(fake.sentMessages(ANN.id)).toEqual([]);
  });

  it('accepts a payload of exactly 128 bytes', async () => {
    const response = await rawCall('sendInvoice', starsInvoice({ payload: '€'.repeat(42) + 'pp' }));
    expect(response.ok).toBe(true);
  });

  it('creates an invoice link of the https://t.me/$ form, refusing a subscription period other than 30 days', async () => {
    const bot = createBot();
    const link = await bot.api.createInvoiceLink('Coffee beans', 'Invoice inv-42', 'inv:42', '', 'XTR', [
      { label: 'Coffee beans', amount: 50 },
    ]);
    expect(link).toMatch(/^https:\/\/t\.me\/\$[\w-]+$/);

    const weekly = await rawCall('createInvoiceLink', {
      ...starsInvoice(),
      chat_id: undefined,
      subscription_period: 604800,
    });
    expect(description(weekly)).toBe('Bad Request: SUBSCRIPTION_PERIOD_INVALID');
  });
});

describe('paying with Telegram Stars', () => {
  const STAFF = { id: -1001234567890, type: 'supergroup' as const, title: 'Staff' };

  beforeEach(() => {
    fake.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
  });

  async function invoiceMessage(bot: Bot, chatId: number = ANN.id) {
    return bot.api.sendInvoice(chatId, 'Coffee beans', 'Invoice inv-42', 'inv:42', 'XTR', [
      { label: 'Coffee beans', amount: 50 },
    ]);
  }

  /**
   * A polling bot that answers pre-checkout queries with `decide` and records successful payments;
   * `setup` adds handlers before polling starts.
   */
  async function payingBot(
    decide: (payload: string) => Promise<string | true> | string | true = () => true,
    setup: (bot: Bot) => void = () => undefined,
  ) {
    const bot = createBot();
    setup(bot);
    const paid: Array<{ chargeId: string; payload: string; updateId: number }> = [];
    bot.on('pre_checkout_query', async (ctx) => {
      const verdict = await decide(ctx.preCheckoutQuery.invoice_payload);
      if (verdict === true) await ctx.answerPreCheckoutQuery(true);
      else await ctx.answerPreCheckoutQuery(false, { error_message: verdict });
    });
    bot.on('message:successful_payment', (ctx) => {
      paid.push({
        chargeId: ctx.message.successful_payment.telegram_payment_charge_id,
        payload: ctx.message.successful_payment.invoice_payload,
        updateId: ctx.update.update_id,
      });
    });
    await startPolling(bot);
    return { bot, paid };
  }

  it('asks the bot with pre_checkout_query, then delivers successful_payment with a unique charge id', async () => {
    const { bot, paid } = await payingBot();
    // In a group anyone may pay the same invoice message, as often as they like.
    fake.addChat(STAFF);
    const invoice = await invoiceMessage(bot, STAFF.id);
    fake.setStarBalance(BOB.id, 120);

    const first = await fake.payInvoice({ from: BOB, message: invoice });
    const second = await fake.payInvoice({ from: BOB, message: invoice });
    await until(() => paid.length === 2);

    expect(first.status).toBe('paid');
    expect(first.preCheckoutQuery).toMatchObject({
      from: { id: BOB.id },
      currency: 'XTR',
      total_amount: 50,
      invoice_payload: 'inv:42',
    });
    expect(first.answer).toMatchObject({ ok: true, errorMessage: undefined });
    expect(first.answer?.answeredAfterMs).toBeLessThan(10_000);
    expect(first.successfulPayment).toMatchObject({
      currency: 'XTR',
      total_amount: 50,
      invoice_payload: 'inv:42',
    });
    expect(first.successfulPayment?.telegram_payment_charge_id).toMatch(/^stx/);
    expect(first.successfulPayment?.provider_payment_charge_id).toEqual(expect.any(String));
    // The receipt arrives in the payer's private chat with the bot, not in the group.
    expect(first.update?.message?.chat).toMatchObject({ id: BOB.id, type: 'private' });
    expect(second.chargeId).not.toBe(first.chargeId);
    expect(paid.map((payment) => payment.chargeId)).toEqual([first.chargeId, second.chargeId]);
    expect(fake.starBalance(BOB.id)).toBe(20);
    expect(await bot.api.getMyStarBalance()).toEqual({ amount: 100 });
  });

  it('records the bot’s error message when it declines, and delivers no successful_payment', async () => {
    const { bot, paid } = await payingBot(() => 'This invoice has expired');
    const invoice = await invoiceMessage(bot);

    const outcome = await fake.payInvoice({ from: BOB, message: invoice });

    expect(outcome).toMatchObject({
      status: 'declined',
      answer: { ok: false, errorMessage: 'This invoice has expired' },
      update: undefined,
      chargeId: undefined,
    });
    expect(paid).toEqual([]);
    expect(fake.charges()).toEqual([]);
  });

  it('cancels a payment the bot does not answer in time, and refuses its late answer', async () => {
    const late: string[] = [];
    const { bot, paid } = await payingBot(async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return true as const;
    });
    bot.catch((error) => {
      late.push(error.error instanceof GrammyError ? error.error.description : String(error.error));
    });
    const invoice = await invoiceMessage(bot);

    const outcome = await fake.payInvoice({ from: BOB, message: invoice, timeoutMs: 50 });
    await until(() => late.length === 1);

    expect(outcome.status).toBe('timed_out');
    expect(outcome.answer).toBeUndefined();
    expect(late).toEqual([
      'Bad Request: query is too old and response timeout expired or query ID is invalid',
    ]);
    expect(paid).toEqual([]);
  });

  it('refuses ok: false without an error_message, as the Bot API server does', async () => {
    const bot = createBot();
    const invoice = await invoiceMessage(bot);
    const paying = fake.payInvoice({ from: BOB, message: invoice, timeoutMs: 2000 });
    const [update] = await bot.api.getUpdates();
    const queryId = update?.pre_checkout_query?.id ?? '';

    const refused = await rawCall('answerPreCheckoutQuery', { pre_checkout_query_id: queryId, ok: false });
    expect(description(refused)).toBe('Bad Request: parameter "error_message" is required');
    await bot.api.answerPreCheckoutQuery(queryId, true);

    expect((await paying).status).toBe('paid');
  });

  it('redelivers a successful_payment with the same charge id, as a new update or the identical one', async () => {
    const { bot, paid } = await payingBot();
    const outcome = await fake.payInvoice({ from: BOB, message: await invoiceMessage(bot) });
    await until(() => paid.length === 1);

    const fresh = fake.redeliverPayment(outcome.chargeId ?? '');
    const identical = fake.redeliverPayment(outcome.chargeId ?? '', { sameUpdate: true });
    await until(() => paid.length === 3);

    expect(new Set(paid.map((payment) => payment.chargeId))).toEqual(new Set([outcome.chargeId]));
    // The feed keeps update ids in order, so the identical copy may come before the fresh one.
    expect(paid.map((payment) => payment.updateId).sort()).toEqual(
      [outcome.update?.update_id, outcome.update?.update_id, fresh.update_id].sort(),
    );
    expect(identical).toEqual(outcome.update);
    expect(fresh.message?.message_id).not.toBe(outcome.update?.message?.message_id);
    expect(fake.charges()).toHaveLength(1);
  });

  it('refunds a charge once, to its payer, and tells the bot with refunded_payment', async () => {
    const refunds: string[] = [];
    const { bot } = await payingBot(undefined, (setup) => {
      setup.on('message:refunded_payment', (ctx) => {
        refunds.push(ctx.message.refunded_payment.telegram_payment_charge_id);
      });
    });
    fake.setStarBalance(BOB.id, 50);
    const { chargeId = '' } = await fake.payInvoice({ from: BOB, message: await invoiceMessage(bot) });
    expect(fake.starBalance(BOB.id)).toBe(0);

    const strangers = await grammyError(bot.api.refundStarPayment(ANN.id, chargeId));
    const unknown = await grammyError(bot.api.refundStarPayment(BOB.id, 'stxNoSuchCharge'));
    expect(await bot.api.refundStarPayment(BOB.id, chargeId)).toBe(true);
    const twice = await grammyError(bot.api.refundStarPayment(BOB.id, chargeId));
    await until(() => refunds.length === 1);

    expect(strangers.description).toBe('Bad Request: CHARGE_NOT_FOUND');
    expect(unknown.description).toBe('Bad Request: CHARGE_NOT_FOUND');
    expect(twice.description).toBe('Bad Request: CHARGE_ALREADY_REFUNDED');
    expect(refunds).toEqual([chargeId]);
    expect(fake.starBalance(BOB.id)).toBe(50);
    expect(fake.charges()).toMatchObject([{ chargeId, userId: BOB.id, refunded: true }]);
    const noUser = await rawCall('refundStarPayment', { telegram_payment_charge_id: chargeId });
    expect(description(noUser)).toBe('Bad Request: invalid user_id specified');
  });

  it('asks the bot nothing when the payer’s tracked balance is short', async () => {
    const bot = createBot();
    fake.setStarBalance(BOB.id, 49);

    const outcome = await fake.payInvoice({ from: BOB, message: await invoiceMessage(bot) });

    expect(outcome.status).toBe('insufficient_stars');
    expect(outcome.preCheckoutQuery).toBeUndefined();
    expect(fake.pendingUpdates()).toEqual([]);
  });

  it('shows a receipt instead of a second payment of one invoice message in a private chat', async () => {
    const { bot } = await payingBot();
    const invoice = await invoiceMessage(bot);
    await fake.payInvoice({ from: ANN, message: invoice });

    await expect(fake.payInvoice({ from: ANN, message: invoice })).rejects.toThrow(/receipt/);
  });

  it('pays an invoice link and an invoice sent through inline mode', async () => {
    const { bot, paid } = await payingBot();
    const link = await bot.api.createInvoiceLink('Coffee', 'Invoice inv-43', 'inv:43', '', 'XTR', [
      { label: 'Coffee', amount: 5 },
    ]);
    const queryId = fake.sendInlineQuery({ from: ANN, query: '5 stars coffee' }).inline_query?.id ?? '';
    await bot.api.answerInlineQuery(queryId, [
      {
        type: 'article',
        id: 'inv-44',
        title: 'Invoice 44',
        input_message_content: {
          title: 'Coffee',
          description: 'Invoice inv-44',
          payload: 'inv:44',
          currency: 'XTR',
          prices: [{ label: 'Coffee', amount: 7 }],
        },
      },
    ]);
    const chosen = fake.chooseInlineResult({ query: queryId, resultId: 'inv-44' });
    expect(chosen.message.invoice).toMatchObject({ currency: 'XTR', total_amount: 7 });

    const byLink = await fake.payInvoice({ from: BOB, link });
    const inline = await fake.payInvoice({ from: BOB, inlineMessageId: chosen.inlineMessageId ?? '' });
    await until(() => paid.length === 2);

    expect([byLink.status, inline.status]).toEqual(['paid', 'paid']);
    expect(paid.map((payment) => payment.payload)).toEqual(['inv:43', 'inv:44']);
  });
});

describe('what payment flows need from ordinary messages', () => {
  const STAFF = { id: -1001234567890, type: 'supergroup' as const, title: 'Staff' };

  beforeEach(() => {
    fake.addChat({ id: ANN.id, type: 'private', first_name: ANN.first_name });
  });

  it('sends a QR photo with a caption and keyboard, and edits caption and keyboard, refusing no-op edits', async () => {
    const bot = createBot();
    const keyboard = { inline_keyboard: [[{ text: 'Pay', callback_data: 'pay:9' }]] };
    const sent = await bot.api.sendPhoto(ANN.id, new InputFile(png(4, 4), 'qr.png'), {
      caption: 'Invoice 9: 10 XLM',
      reply_markup: keyboard,
    });
    expect(fake.sentMessages(ANN.id)[0]).toMatchObject({
      caption: 'Invoice 9: 10 XLM',
      replyMarkup: keyboard,
    });

    const sameCaption = await grammyError(
      bot.api.editMessageCaption(ANN.id, sent.message_id, {
        caption: 'Invoice 9: 10 XLM',
        reply_markup: keyboard,
      }),
    );
    const edited = await bot.api.editMessageCaption(ANN.id, sent.message_id, {
      caption: 'Invoice 9: paid',
      reply_markup: keyboard,
    });
    const sameKeyboard = await grammyError(
      bot.api.editMessageReplyMarkup(ANN.id, sent.message_id, { reply_markup: keyboard }),
    );
    await bot.api.editMessageReplyMarkup(ANN.id, sent.message_id);
    const textEdit = await grammyError(bot.api.editMessageText(ANN.id, sent.message_id, 'x'));

    expect(sameCaption.description).toMatch(/^Bad Request: message is not modified/);
    expect(sameKeyboard.description).toMatch(/^Bad Request: message is not modified/);
    expect(textEdit.description).toBe('Bad Request: there is no text in the message to edit');
    expect(edited).toMatchObject({ caption: 'Invoice 9: paid' });
    expect(fake.sentMessages(ANN.id)[0]).toMatchObject({
      caption: 'Invoice 9: paid',
      replyMarkup: undefined,
      edits: 2,
    });
  });

  it('records an answerCallbackQuery alert with its text', async () => {
    const bot = createBot();
    bot.callbackQuery('pay:1', (ctx) =>
      ctx.answerCallbackQuery({ text: 'This invoice has expired', show_alert: true }),
    );
    await startPolling(bot);
    const message = await bot.api.sendMessage(ANN.id, 'Pay?', {
      reply_markup: { inline_keyboard: [[{ text: 'Pay', callback_data: 'pay:1' }]] },
    });

    const press = fake.pressButton({ from: ANN, message, data: 'pay:1' });
    const answer = await fake.waitForCallbackAnswer(press.callback_query?.id ?? '');

    expect(answer).toMatchObject({ text: 'This invoice has expired', showAlert: true, url: undefined });
    expect(answer.answeredAfterMs).toBeGreaterThanOrEqual(0);
  });

  it('delivers presses by someone other than the message’s addressee and two quick presses as separate queries', async () => {
    const bot = createBot();
    fake.sendUserMessage({ from: ANN, chat: STAFF, text: '/request 10 XLM' });
    const card = await bot.api.sendMessage(STAFF.id, 'Ann requests 10 XLM', {
      reply_markup: { inline_keyboard: [[{ text: 'Pay', callback_data: 'pay:3' }]] },
    });

    const first = fake.pressButton({ from: BOB, message: card, data: 'pay:3' });
    const second = fake.pressButton({ from: BOB, message: card, data: 'pay:3' });
    const updates = await bot.api.getUpdates({ offset: first.update_id });

    expect(updates.map((update) => update.callback_query?.from.id)).toEqual([BOB.id, BOB.id]);
    expect(updates.map((update) => update.callback_query?.message?.chat.id)).toEqual([STAFF.id, STAFF.id]);
    expect(first.callback_query?.id).not.toBe(second.callback_query?.id);
    expect(first.callback_query?.chat_instance).toBe(second.callback_query?.chat_instance);
    expect(await bot.api.answerCallbackQuery(first.callback_query?.id ?? '')).toBe(true);
    expect(await bot.api.answerCallbackQuery(second.callback_query?.id ?? '')).toBe(true);
  });

  it('sends /start with a deep-link payload, and follows only this bot’s t.me start links', async () => {
    const bot = createBot();
    const seen: Array<string | undefined> = [];
    bot.command('start', (ctx) => {
      seen.push(ctx.match);
    });
    await startPolling(bot);

    fake.sendStart({ from: BOB, payload: 'inv_42-a' });
    fake.openStartLink({ from: BOB, url: `https://t.me/${fake.botUser.username}?start=inv_43` });
    await until(() => seen.length === 2);

    expect(seen).toEqual(['inv_42-a', 'inv_43']);
    expect(() => fake.sendStart({ from: BOB, payload: 'has space' })).toThrow(/1-64/);
    expect(() => fake.sendStart({ from: BOB, payload: 'x'.repeat(65) })).toThrow(/1-64/);
    expect(() => fake.openStartLink({ from: BOB, url: 'https://t.me/other_bot?start=inv_43' })).toThrow(
      /not a link to @test_bot/,
    );
  });
});
