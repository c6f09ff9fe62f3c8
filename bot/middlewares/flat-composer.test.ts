import { describe, expect, it } from 'vitest';
import { Bot, BotError, Composer, type Context, type Transformer } from 'grammy';
import type { Update } from 'grammy/types';
import { FlatComposer } from './flat-composer.ts';
import { botUserFor } from '../../test/doubles/fake-bot-api.ts';

const TOKEN = '1000:TESTTESTTESTTESTTESTTESTTESTTESTTEST';
const botInfo = botUserFor(TOKEN);

let nextUpdateId = 1;

function message(text: string, chat: 'private' | 'group' = 'private'): Update {
  const command = /^\/\S+/.exec(text)?.[0];
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: 1,
      date: 0,
      chat:
        chat === 'private'
          ? { id: 7, type: 'private', first_name: 'U' }
          : { id: -5, type: 'group', title: 'G' },
      from: { id: 7, is_bot: false, first_name: 'U' },
      text,
      ...(command ? { entities: [{ type: 'bot_command' as const, offset: 0, length: command.length }] } : {}),
    },
  };
}

function press(data: string): Update {
  return {
    update_id: nextUpdateId++,
    callback_query: {
      id: 'q',
      chat_instance: 'c',
      from: { id: 7, is_bot: false, first_name: 'U' },
      data,
      message: { message_id: 2, date: 0, chat: { id: 7, type: 'private', first_name: 'U' }, text: 'x' },
    },
  };
}

/** A bot running `middleware`, with the texts it sent and the middleware it went past. */
function botWith(middleware: Composer<Context>) {
  const sent: string[] = [];
  const record: Transformer = async (_prev, method, payload) => {
    sent.push(`${method} ${(payload as { text?: string }).text ?? ''}`.trim());
    return { ok: true, result: true } as never;
  };
  const bot = new Bot(TOKEN, { botInfo });
  bot.api.config.use(record);
  bot.use(middleware);
  bot.use(() => sent.push('reached the end'));
  return { bot, sent };
}

/** The same little feature set on either kind of composer. */
function features(composer: Composer<Context>) {
  const privateChat = composer.chatType('private');
  privateChat.command('start', async (ctx, next) => {
    if (ctx.match === 'skip') return next();
    await ctx.reply(`start ${ctx.match}`);
  });
  privateChat.callbackQuery(/^lang:(\w+)$/, (ctx) => ctx.answerCallbackQuery(`lang ${ctx.match[1]}`));
  composer.command('request', (ctx) => ctx.reply(`request in ${ctx.chat.type}`));
  composer.on('message:text').filter(
    async (ctx) => ctx.msg.text.startsWith('hello'),
    (ctx) => ctx.reply('hello to you'),
  );
  // Added after the branch was made: it must still be seen.
  privateChat.command('help', (ctx) => ctx.reply('help'));
  return composer;
}

describe('FlatComposer', () => {
  it('runs its middleware in the order installed, each handing on with next', async () => {
    const seen: string[] = [];
    const composer = new FlatComposer<Context>(async (_ctx, next) => {
      seen.push('first');
      await next();
      seen.push('first again');
    });
    composer.use((_ctx, next) => {
      seen.push('second');
      return next();
    });
    const { bot, sent } = botWith(composer);
    await bot.handleUpdate(message('hi'));
    expect(seen).toEqual(['first', 'second', 'first again']);
    expect(sent).toEqual(['reached the end']);
  });

  it('answers every update as grammY’s Composer does', async () => {
    const updates = [
      () => message('/start'),
      () => message('/start skip'),
      () => message('/start@test_bot now'),
      () => message('/start@other_bot'),
      () => message('/start', 'group'),
      () => message('/request 10 XLM', 'group'),
      () => message('/help'),
      () => message('hello there'),
      () => message('something else'),
      () => press('lang:es'),
      () => press('other'),
    ];
    const grammy = botWith(features(new Composer<Context>()));
    const flat = botWith(features(new FlatComposer<Context>()));
    for (const update of updates) {
      await grammy.bot.handleUpdate(update());
      await flat.bot.handleUpdate(update());
    }
    expect(flat.sent).toEqual(grammy.sent);
    expect(flat.sent).toContain('sendMessage start now');
    expect(flat.sent).toContain('answerCallbackQuery lang es');
  });

  it('refuses a second call of next', async () => {
    const composer = new FlatComposer<Context>(async (_ctx, next) => {
      await next();
      await next();
    });
    const { bot, sent } = botWith(composer);
    const handled = bot.handleUpdate(message('hi'));
    await expect(handled).rejects.toBeInstanceOf(BotError);
    await expect(handled).rejects.toThrow('`next` already called before!');
    expect(sent).toEqual(['reached the end']);
  });

  it('fails the update when a middleware throws, even without awaiting anything', async () => {
    const composer = new FlatComposer<Context>();
    composer.chatType('private').use(() => {
      throw new Error('broken handler');
    });
    const { bot, sent } = botWith(composer);
    await expect(bot.handleUpdate(message('hi'))).rejects.toThrow('broken handler');
    expect(sent).toEqual([]);
  });
});
