import { Bot, session, type Context, type StorageAdapter } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { I18n } from '@grammyjs/i18n';
import { sequentialize } from '@grammyjs/runner';
import type { BotContext, BotDeps, SessionData } from './context.ts';
import { createBotI18n } from './i18n.ts';
import { updateContext } from './middlewares/update-context.ts';
import { deduplicateUpdates } from './middlewares/deduplicate-updates.ts';
import { handleBotError } from './middlewares/error-boundary.ts';
import { writeIfChanged } from './middlewares/write-if-changed-storage.ts';
import { startFeature } from './features/start.ts';
import { languageFeature } from './features/language.ts';
import { walletFeature } from './features/wallet.ts';
import { helpFeature } from './features/help.ts';
import { unhandledFeature } from './features/unhandled.ts';

/** Options of {@link createBot}: where Telegram is, and where sessions live. */
export interface CreateBotOptions {
  apiRoot?: string;
  /** Known bot identity; skips `getMe` (tests and benchmarks). */
  botInfo?: UserFromGetMe;
  sessionStorage: StorageAdapter<SessionData>;
  /** Built once per process and shared with whatever else renders bot texts (the command menu). */
  i18n?: I18n<BotContext>;
}

/** Sessions are per user: the language is the user's, in every chat. */
const sessionKey = (ctx: Context) => ctx.from?.id.toString();

/**
 * Builds the bot with every feature installed in an explicit order; the "unhandled" feature last.
 * Holds no module state: all dependencies come in through `deps`.
 */
export function createBot(token: string, deps: BotDeps, options: CreateBotOptions): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, {
    botInfo: options.botInfo,
    client: options.apiRoot ? { apiRoot: options.apiRoot } : undefined,
  });
  const i18n = options.i18n ?? createBotI18n();

  // With concurrent polling, one user's updates still run in order (two quick /wallet included).
  bot.use(sequentialize((ctx: Context) => ctx.from?.id.toString() ?? ctx.chat?.id.toString()));
  bot.use(updateContext(deps));
  bot.use(deduplicateUpdates);
  bot.use(
    session({
      initial: (): SessionData => ({}),
      storage: writeIfChanged(options.sessionStorage),
      getSessionKey: sessionKey,
    }),
  );
  bot.use(i18n);

  bot.use(startFeature(i18n));
  bot.use(languageFeature(i18n));
  bot.use(walletFeature);
  bot.use(helpFeature);
  bot.use(unhandledFeature);

  bot.catch(handleBotError);
  return bot;
}
