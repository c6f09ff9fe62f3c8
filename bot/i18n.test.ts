import { describe, expect, it } from 'vitest';
import { I18n } from '@grammyjs/i18n';
import { Bot, MemorySessionStorage, session, type Transformer } from 'grammy';
import type { Update } from 'grammy/types';
import type { BotContext, SessionData } from './context.ts';
import { createBotI18n } from './i18n.ts';
import { FLUENT_BUNDLE_OPTIONS, LOCALES_DIR } from '../core/locales.ts';
import { botUserFor } from '../test/doubles/fake-bot-api.ts';

const TOKEN = '1000:TESTTESTTESTTESTTESTTESTTESTTESTTEST';
const botInfo = botUserFor(TOKEN);

const i18n = createBotI18n();
/** The plugin as it comes, reading the same files. */
const plugin = new I18n({
  defaultLocale: 'en',
  directory: LOCALES_DIR,
  fluentBundleOptions: FLUENT_BUNDLE_OPTIONS,
});

let nextUpdateId = 1;
function text(userId: number, body: string, languageCode?: string): Update {
  return {
    update_id: nextUpdateId++,
    message: {
      message_id: 1,
      date: 0,
      chat: { id: userId, type: 'private', first_name: 'U' },
      from: { id: userId, is_bot: false, first_name: 'U', language_code: languageCode },
      text: body,
    },
  };
}

/** A bot with sessions in memory and the i18n middleware, running `handler`; records what it sends. */
function botRunning(handler: (ctx: BotContext) => Promise<unknown>) {
  const sent: string[] = [];
  const record: Transformer = async (_prev, _method, payload) => {
    sent.push((payload as { text: string }).text);
    return { ok: true, result: true } as never;
  };
  const sessions = new MemorySessionStorage<SessionData>();
  const bot = new Bot<BotContext>(TOKEN, { botInfo });
  bot.api.config.use(record);
  bot.use(
    session({ initial: () => ({}), storage: sessions, getSessionKey: (ctx) => ctx.from?.id.toString() }),
  );
  bot.use(i18n);
  bot.use(handler);
  return { bot, sent, sessions };
}

describe('createBotI18n', () => {
  it('renders every text as the plugin does, with variables or without, in any locale', () => {
    for (const locale of ['en', 'es', 'de']) {
      const cases: [string, Record<string, string> | undefined][] = [
        ['help', undefined],
        ['unhandled', undefined],
        ['start-greeting', { name: 'Ann' }],
      ];
      for (const [key, variables] of cases) {
        expect(i18n.t(locale, key, variables)).toBe(plugin.t(locale, key, variables ?? {}));
        // Again, now that it may have been kept.
        expect(i18n.t(locale, key, variables)).toBe(plugin.t(locale, key, variables ?? {}));
      }
    }
    expect(i18n.t('es', 'help')).not.toBe(i18n.t('en', 'help'));
  });

  describe('in an update', () => {
    it('speaks the language chosen in the session, else the Telegram app’s if we speak it, else English', async () => {
      const { bot, sent, sessions } = botRunning((ctx) => ctx.reply(ctx.t('unhandled')));
      sessions.write('3', { __language_code: 'es' });
      await bot.handleUpdate(text(1, 'hi', 'es-419'));
      await bot.handleUpdate(text(2, 'hi', 'fr'));
      await bot.handleUpdate(text(3, 'hi', 'en'));
      await bot.handleUpdate(text(4, 'hi'));
      expect(sent).toEqual([
        plugin.t('es', 'unhandled'),
        plugin.t('en', 'unhandled'),
        plugin.t('es', 'unhandled'),
        plugin.t('en', 'unhandled'),
      ]);
    });

    it('keeps a language set with setLocale in the session and speaks it at once', async () => {
      const { bot, sent, sessions } = botRunning(async (ctx) => {
        if (ctx.msg?.text === 'español') await ctx.i18n.setLocale('es');
        await ctx.reply(`${await ctx.i18n.getLocale()} ${ctx.t('language-changed')}`);
      });
      await bot.handleUpdate(text(1, 'español', 'en'));
      await bot.handleUpdate(text(1, 'again', 'en'));
      expect(sessions.read('1')?.__language_code).toBe('es');
      expect(sent).toEqual([
        `es ${plugin.t('es', 'language-changed')}`,
        `es ${plugin.t('es', 'language-changed')}`,
      ]);
    });

    it('speaks a language set with useLocale for this update only, without changing the negotiated one', async () => {
      const { bot, sent } = botRunning(async (ctx) => {
        if (ctx.msg?.text === 'once in Spanish') ctx.i18n.useLocale('es');
        await ctx.reply(`${await ctx.i18n.getLocale()} ${ctx.translate('unhandled')}`);
      });
      await bot.handleUpdate(text(1, 'once in Spanish', 'en'));
      await bot.handleUpdate(text(1, 'then', 'en'));
      expect(sent).toEqual([`en ${plugin.t('es', 'unhandled')}`, `en ${plugin.t('en', 'unhandled')}`]);
    });
  });
});

describe('identifiers in messages', () => {
  it('shows an EVM chain id as it is written, without digit grouping, in every language', () => {
    for (const language of ['en', 'es']) {
      expect(i18n.t(language, 'wallet-evm-title', { chainId: 11155111 })).toContain('11155111');
      expect(i18n.t(language, 'invoice-network-evm', { chainId: 31337 })).toContain('31337');
    }
  });
});
