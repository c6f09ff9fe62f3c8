// Composition root of the bot process: config, logger, dependencies, bot, HTTP server.
import { pathToFileURL } from 'node:url';
import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { RedisAdapter } from '@grammyjs/storage-redis';
import { loadBotConfig, type BotConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { runProcess, type ProcessDefinition } from '../core/process-entry.ts';
import { createPrismaClient } from '../core/adapters/prisma-client.ts';
import { connectRedis } from '../core/adapters/redis.ts';
import { createUserRepository } from '../core/adapters/user-repository.ts';
import { createWalletRepository } from '../core/adapters/wallet-repository.ts';
import { createUpdateLog } from '../core/adapters/update-log.ts';
import { createJobProducer } from '../core/adapters/job-producer.ts';
import { createStellarNetwork } from '../core/adapters/stellar-horizon.ts';
import { createEvmNetwork } from '../core/adapters/evm-rpc.ts';
import { createPendingActionRepository } from '../core/adapters/pending-action-repository.ts';
import { createPaymentIntentRepository } from '../core/adapters/payment-intent-repository.ts';
import { createInvoiceRepository } from '../core/adapters/invoice-repository.ts';
import { createNotificationOutbox, prismaRunner } from '../core/adapters/notification-outbox.ts';
import { createInvoicePage } from './invoice-page.ts';
import { createBot } from './create-bot.ts';
import { createBotServer } from './server.ts';
import { publishCommandMenus } from './commands.ts';
import { createBotI18n } from './i18n.ts';
import type { SessionData } from './context.ts';

const ALLOWED_UPDATES = [
  'message',
  'callback_query',
  'inline_query',
  'chosen_inline_result',
  'pre_checkout_query',
] as const;
const SESSION_TTL_SECONDS = 90 * 24 * 3600;

/** A running bot process; `stop()` shuts it down gracefully. */
export interface RunningBot {
  port: number;
  stop(): Promise<void>;
}

/** Options for tests: key prefixes keep parallel runs apart in one Redis. */
export interface BotProcessOptions {
  queuePrefix?: string;
  sessionPrefix?: string;
}

/** Starts the bot process with `config`; used by `main` below and by end-to-end tests in-process. */
export async function startBotProcess(
  config: BotConfig,
  logger: Logger,
  options: BotProcessOptions = {},
): Promise<RunningBot> {
  const prisma = createPrismaClient(config.DATABASE_URL);
  const sessionsRedis = await connectRedis(
    config.REDIS_URL,
    'sessions',
    options.sessionPrefix ? { keyPrefix: options.sessionPrefix } : {},
  );
  const producerRedis = await connectRedis(config.REDIS_URL, 'producer');
  const jobs = createJobProducer(producerRedis, { prefix: options.queuePrefix });
  const updates = createUpdateLog(config.DATABASE_URL);
  const stellar = createStellarNetwork({
    horizonUrl: config.stellar.horizonUrl,
    friendbotUrl: config.stellar.friendbotUrl,
    passphrase: config.stellar.passphrase,
    maxFeePerOperation: config.STELLAR_MAX_FEE_STROOPS,
  });
  const evm = createEvmNetwork({ rpcUrl: config.EVM_RPC_URL, chainId: config.EVM_CHAIN_ID });

  const invoices = createInvoiceRepository(prisma);
  // Invoice pages live on this server: at PUBLIC_URL, or else where Telegram reaches the webhook.
  const publicUrl = config.PUBLIC_URL ?? (config.WEBHOOK_URL ? new URL(config.WEBHOOK_URL).origin : null);

  const i18n = createBotI18n();
  const bot = createBot(
    config.BOT_TOKEN,
    {
      logger,
      users: createUserRepository(prisma),
      wallets: createWalletRepository(prisma),
      updates,
      jobs,
      stellar,
      evm,
      evmChainId: config.EVM_CHAIN_ID,
      evmTokens: config.EVM_TOKENS,
      pendingActions: createPendingActionRepository(prisma),
      paymentIntents: createPaymentIntentRepository(prisma),
      confirmTtlSeconds: config.CONFIRM_TTL_SECONDS,
      invoices,
      notificationOutbox: createNotificationOutbox(prismaRunner(prisma), logger),
      invoiceTtlMinutes: config.INVOICE_TTL_MINUTES,
      publicUrl,
    },
    {
      apiRoot: config.TELEGRAM_API_ROOT,
      sessionStorage: new RedisAdapter<SessionData>({ instance: sessionsRedis, ttl: SESSION_TTL_SECONDS }),
      i18n,
    },
  );
  bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30 }));
  bot.api.config.use(apiThrottler());
  await bot.init();
  await publishCommandMenus(bot.api, i18n);

  const webhookPath = config.WEBHOOK_URL ? new URL(config.WEBHOOK_URL).pathname : undefined;
  const server = createBotServer({
    bot,
    logger,
    webhook:
      config.BOT_MODE === 'webhook' ? { path: webhookPath!, secret: config.WEBHOOK_SECRET! } : undefined,
    invoicePage: createInvoicePage({
      invoices,
      knownTokens: config.EVM_TOKENS,
      botUsername: () => bot.botInfo.username,
      translate: (locale, key, variables) => i18n.t(locale, key, variables),
      logger,
    }),
    isReady: async () => {
      await Promise.all([prisma.$queryRaw`SELECT 1`, sessionsRedis.ping()]);
      return true;
    },
  });
  await new Promise<void>((resolve) => server.listen(config.PORT, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;

  let runner: RunnerHandle | undefined;
  if (config.BOT_MODE === 'webhook') {
    await bot.api.setWebhook(config.WEBHOOK_URL!, {
      secret_token: config.WEBHOOK_SECRET,
      allowed_updates: ALLOWED_UPDATES,
    });
  } else {
    await bot.api.deleteWebhook();
    runner = run(bot, { runner: { fetch: { allowed_updates: ALLOWED_UPDATES } } });
  }
  logger.info({ mode: config.BOT_MODE, port, username: bot.botInfo.username }, 'bot started');

  return {
    port,
    async stop() {
      if (runner?.isRunning()) await runner.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await jobs.close();
      evm.destroy();
      await Promise.all([prisma.$disconnect(), updates.close(), sessionsRedis.quit(), producerRedis.quit()]);
      logger.info('bot stopped');
    },
  };
}

/** How the bot process starts; the end-to-end tests reuse its secret list. */
export const botProcess: ProcessDefinition<BotConfig> = {
  name: 'bot',
  loadConfig: () => loadBotConfig(),
  secrets: (config) => [config.BOT_TOKEN, config.WEBHOOK_SECRET],
  start: (config, logger) => startBotProcess(config, logger),
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runProcess(botProcess);
