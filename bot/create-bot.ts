import { Bot, session, type Context, type StorageAdapter } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { I18n } from '@grammyjs/i18n';
import type { BotContext, BotDeps, SessionData } from './context.ts';
import { createBotI18n } from './i18n.ts';
import { updateContext } from './middlewares/update-context.ts';
import { sequentializeUpdates } from './middlewares/sequentialize-updates.ts';
import { deduplicateUpdates } from './middlewares/deduplicate-updates.ts';
import { handleBotError } from './middlewares/error-boundary.ts';
import { writeIfChanged } from './middlewares/write-if-changed-storage.ts';
import { rememberUsername } from './middlewares/remember-username.ts';
import { routePrivateCommands } from './middlewares/route-private-commands.ts';
import { FlatComposer } from './middlewares/flat-composer.ts';
import { startFeature } from './features/start.ts';
import { languageFeature } from './features/language.ts';
import { walletFeature } from './features/wallet.ts';
import { sendFeature } from './features/send.ts';
import { paymentConfirmFeature } from './features/payment-confirm.ts';
import { starsFeature } from './features/stars.ts';
import { inlineInvoicesFeature } from './features/inline-invoices.ts';
import { invoiceStartFeature } from './features/invoice-start.ts';
import { invoicesFeature } from './features/invoices.ts';
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
 * A command in a private chat takes a shortcut to the features that answer it, in the same order.
 * Holds no module state: all dependencies come in through `deps`.
 */
export function createBot(token: string, deps: BotDeps, options: CreateBotOptions): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, {
    botInfo: options.botInfo,
    client: options.apiRoot ? { apiRoot: options.apiRoot } : undefined,
  });
  const i18n = options.i18n ?? createBotI18n();
  // Installed on a FlatComposer rather than on `bot`, whose every middleware adds an async layer.
  const stack = new FlatComposer<BotContext>();
  bot.use(stack);

  // First, so the update id's claim in Postgres overlaps the wait below and the session read.
  stack.use(updateContext(deps));
  // With concurrent polling, one user's updates still run in order (two quick /wallet included).
  stack.use(sequentializeUpdates((ctx: Context) => ctx.from?.id.toString() ?? ctx.chat?.id.toString()));
  stack.use(
    session({
      initial: (): SessionData => ({}),
      storage: writeIfChanged(options.sessionStorage),
      getSessionKey: sessionKey,
    }),
  );
  // The gate: nothing below runs unless this delivery won the claim.
  stack.use(deduplicateUpdates);
  stack.use(i18n);
  stack.use(rememberUsername);

  const send = sendFeature(i18n);
  const invoiceStart = invoiceStartFeature(i18n);
  const start = startFeature(i18n);
  const language = languageFeature(i18n);
  const invoices = invoicesFeature(i18n);
  const everyFeature = new FlatComposer<BotContext>(
    // Stars payments first: a conversation waiting for text must never swallow a successful_payment.
    starsFeature(i18n),
    inlineInvoicesFeature(),
    // An active conversation sees the user's updates first (a command leaves it and runs).
    send,
    // `/start inv_<slug>` (an invoice's Pay link) before the plain /start greeting.
    invoiceStart,
    start,
    language,
    walletFeature,
    invoices,
    paymentConfirmFeature(),
    helpFeature,
    unhandledFeature,
  );
  // Most updates are commands in a private chat: each goes straight to the features that answer it,
  // in the order above, rather than past every feature's filters. A command listed here must list
  // every feature with a handler for it; any other update goes through every feature.
  const privateCommand = (...features: FlatComposer<BotContext>[]) => [send, ...features, unhandledFeature];
  stack.use(
    routePrivateCommands(
      {
        start: privateCommand(invoiceStart, start),
        language: privateCommand(language),
        wallet: privateCommand(walletFeature),
        send: privateCommand(),
        cancel: privateCommand(),
        request: privateCommand(invoices),
        help: privateCommand(helpFeature),
      },
      everyFeature,
    ),
  );

  bot.catch(handleBotError);
  return bot;
}
