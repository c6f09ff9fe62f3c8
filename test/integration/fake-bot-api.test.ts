import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import { Bot, type Context, GrammyError, InputFile, InputMediaBuilder, webhookCallback } from 'grammy';
import type { ChatMemberUpdated, Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeBotApi, type FakeBotApiOptions, startFakeBotApi } from '../doubles/fake-bot-api.ts';

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

  it('answers an inline query with at most 50 results', async () => {
    const bot = createBot();
    const result = (id: number) => ({
      type: 'article' as const,
      id: String(id),
      title: `Invoice ${id}`,
      input_message_content: { message_text: `Invoice ${id}` },
    });
    const tooMany = fake.sendInlineQuery({ from: ANN, query: 'inv' }).inline_query?.id ?? '';
    const error = await grammyError(
      bot.api.answerInlineQuery(
        tooMany,
        Array.from({ length: 51 }, (_, i) => result(i)),
      ),
    );
    expect(error.description).toBe('Bad Request: RESULTS_TOO_MUCH');

    const fits = fake.sendInlineQuery({ from: ANN, query: 'inv' }).inline_query?.id ?? '';
    expect(
      await bot.api.answerInlineQuery(
        fits,
        Array.from({ length: 50 }, (_, i) => result(i)),
      ),
    ).toBe(true);
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
