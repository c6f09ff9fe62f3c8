// Composition root of the worker process: config, logger, dependencies, one BullMQ worker per queue.
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { Api } from 'grammy';
import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import { Queue, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadWorkerConfig, type WorkerConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { runProcess, type ProcessDefinition } from '../core/process-entry.ts';
import {
  maintenanceJobs,
  paymentJobs,
  QUEUE_NAMES,
  walletJobs,
  notificationJob,
  type QueueName,
} from '../core/queues.ts';
import { createPrismaClient } from '../core/adapters/prisma-client.ts';
import { connectRedis } from '../core/adapters/redis.ts';
import { createUserRepository } from '../core/adapters/user-repository.ts';
import { createWalletRepository } from '../core/adapters/wallet-repository.ts';
import { createIntentRepository } from '../core/adapters/intent-repository.ts';
import { createUpdateLog } from '../core/adapters/update-log.ts';
import { createSourceAccountLock } from '../core/adapters/source-account-lock.ts';
import { createJobProducer } from '../core/adapters/job-producer.ts';
import { createSignerClient } from '../core/adapters/signer-client.ts';
import { createStellarNetwork, createStellarTransactionFactory } from '../core/adapters/stellar-horizon.ts';
import { createEvmNetwork } from '../core/adapters/evm-rpc.ts';
import { createInvoiceRepository } from '../core/adapters/invoice-repository.ts';
import { createPaymentIntentRepository } from '../core/adapters/payment-intent-repository.ts';
import { createStellarPaymentFactory } from '../core/adapters/stellar-payment-builder.ts';
import { createEvmTransactions } from '../core/adapters/evm-transactions.ts';
import { createDepositNoticeReader, createDepositRepository } from '../core/adapters/deposit-repository.ts';
import { createNotificationOutbox, pgRunner } from '../core/adapters/notification-outbox.ts';
import { createPendingActionRepository } from '../core/adapters/pending-action-repository.ts';
import { createDepositSink } from '../core/services/deposits.ts';
import { createNotifier } from './notifier.ts';
import { startStellarWatcher } from './watchers/stellar.ts';
import { startEvmWatcher } from './watchers/evm.ts';
import { processorFor, type JobProcessor } from './run-job.ts';
import { walletsWorkerOptions } from './queues/wallets.ts';
import { notificationsWorkerOptions } from './queues/notifications.ts';
import {
  EXPIRE_INVOICES_EVERY_MS,
  maintenanceWorkerOptions,
  PENDING_ACTION_RETENTION_MS,
  PRUNE_PENDING_ACTIONS_EVERY_MS,
  PRUNE_UPDATES_EVERY_MS,
  REQUEUE_NOTIFICATIONS_EVERY_MS,
  RESUME_PAYMENTS_EVERY_MS,
} from './queues/maintenance.ts';
import { requeueNotificationsHandler } from './processors/requeue-notifications.ts';
import { prunePendingActionsHandler } from './processors/prune-pending-actions.ts';
import { resumePaymentsHandler } from './processors/resume-payments.ts';
import { provisionWalletsHandler } from './processors/provision-wallets.ts';
import { activateStellarWalletHandler } from './processors/activate-stellar-wallet.ts';
import { createDepositNotices, sendNotificationHandler } from './processors/send-notification.ts';
import { pruneUpdatesHandler } from './processors/prune-updates.ts';
import { expireInvoicesHandler } from './processors/expire-invoices.ts';
import { executePaymentHandler } from './processors/execute-payment.ts';
import { EVM_RECEIPT_TIMEOUT_MS, paymentsWorkerOptions } from './queues/payments.ts';
import type { WorkerDeps } from './deps.ts';
import { createWorkerI18n } from './i18n.ts';

/** Connections for the deposit watchers' batches and the notices they lead to. */
const DEPOSIT_POOL_SIZE = 6;

/** A running worker process; `stop()` lets in-flight jobs finish, then closes everything. */
export interface RunningWorker {
  stop(): Promise<void>;
}

/** Options for tests: a BullMQ key prefix keeps parallel runs apart. */
export interface WorkerProcessOptions {
  queuePrefix?: string;
}

function startQueueWorker(
  queue: QueueName,
  processors: Record<string, JobProcessor>,
  options: Partial<WorkerOptions>,
  shared: { connection: Redis; prefix: string | undefined; logger: Logger },
): Worker {
  const worker = new Worker(
    queue,
    (job) => {
      const process = processors[job.name];
      if (!process) throw new UnrecoverableError(`no processor for job ${job.name}`);
      return process(job, shared.logger);
    },
    { ...options, connection: shared.connection, prefix: shared.prefix },
  );
  worker.on('error', (error) => shared.logger.error({ err: error, queue }, 'worker error'));
  return worker;
}

/** Starts the worker process with `config`; used by `main` below and by end-to-end tests in-process. */
export async function startWorkerProcess(
  config: WorkerConfig,
  logger: Logger,
  options: WorkerProcessOptions = {},
): Promise<RunningWorker> {
  const prefix = options.queuePrefix;
  const prisma = createPrismaClient(config.DATABASE_URL);
  const workerRedis = await connectRedis(config.REDIS_URL, 'worker');
  const producerRedis = await connectRedis(config.REDIS_URL, 'producer');
  const jobs = createJobProducer(producerRedis, { prefix });
  const api = new Api(config.BOT_TOKEN, { apiRoot: config.TELEGRAM_API_ROOT });
  api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30 }));
  api.config.use(apiThrottler());
  const i18n = createWorkerI18n();
  const updates = createUpdateLog(config.DATABASE_URL, { concurrency: 1 });
  const users = createUserRepository(prisma);
  const wallets = createWalletRepository(prisma);
  const stellar = createStellarNetwork({
    horizonUrl: config.stellar.horizonUrl,
    friendbotUrl: config.stellar.friendbotUrl,
    passphrase: config.stellar.passphrase,
    maxFeePerOperation: config.STELLAR_MAX_FEE_STROOPS,
  });
  const evm = createEvmNetwork({ rpcUrl: config.EVM_RPC_URL, chainId: config.EVM_CHAIN_ID });
  const evmTransactions = createEvmTransactions({ rpcUrl: config.EVM_RPC_URL, chainId: config.EVM_CHAIN_ID });
  const intents = createIntentRepository(prisma);

  const deps: WorkerDeps = {
    logger,
    users,
    wallets,
    intents,
    updates,
    keys: createSignerClient({ url: config.SIGNER_URL, authSecret: config.SIGNER_AUTH_SECRET }),
    stellar,
    evm,
    transactions: createStellarTransactionFactory(config.stellar.passphrase),
    sourceLock: createSourceAccountLock(prisma),
    jobs,
    notifier: createNotifier({
      api,
      i18n,
      users,
      wallets,
      stellar,
      evm,
      evmChainId: config.EVM_CHAIN_ID,
      stellarNetwork: config.stellar.network,
      tokens: config.EVM_TOKENS,
      evmExplorerUrl: config.EVM_EXPLORER_URL,
    }),
    activation: {
      networkPassphrase: config.stellar.passphrase,
      useFriendbot: config.stellar.friendbotUrl !== undefined,
      startingBalance: config.STELLAR_ACTIVATION_AMOUNT,
      transactionTimeoutSeconds: config.STELLAR_TX_TIMEOUT_SECONDS,
    },
  };

  const paymentIntents = createPaymentIntentRepository(prisma);
  const executePayment = executePaymentHandler({
    ...deps,
    paymentIntents,
    intents,
    invoices: createInvoiceRepository(prisma),
    status: deps.notifier,
    stellarPayments: createStellarPaymentFactory(config.stellar.passphrase),
    evmTransactions,
    settings: {
      networkPassphrase: config.stellar.passphrase,
      stellarTimeoutSeconds: config.STELLAR_TX_TIMEOUT_SECONDS,
      evmChainId: config.EVM_CHAIN_ID,
      evmConfirmations: config.EVM_CONFIRMATIONS,
      evmPollIntervalMs: config.EVM_POLL_INTERVAL_MS,
      evmReceiptTimeoutMs: EVM_RECEIPT_TIMEOUT_MS,
    },
  });

  // Deposits have their own small pool: the watchers' batched statements are raw SQL, not Prisma.
  const depositPool = new pg.Pool({ connectionString: config.DATABASE_URL, max: DEPOSIT_POOL_SIZE });
  depositPool.on('error', (error) => logger.warn({ err: error }, 'idle deposit database connection failed'));
  const depositNotices = createDepositNotices({
    api,
    i18n,
    reader: createDepositNoticeReader(depositPool),
    knownTokens: config.EVM_TOKENS,
  });

  const shared = { connection: workerRedis, prefix, logger };
  const workers = [
    startQueueWorker(
      QUEUE_NAMES.wallets,
      {
        [walletJobs.provision.name]: processorFor(provisionWalletsHandler(deps)),
        [walletJobs.activateStellar.name]: processorFor(activateStellarWalletHandler(deps)),
      },
      walletsWorkerOptions,
      shared,
    ),
    startQueueWorker(
      QUEUE_NAMES.notifications,
      { [notificationJob.name]: processorFor(sendNotificationHandler(deps, depositNotices)) },
      notificationsWorkerOptions,
      shared,
    ),
    startQueueWorker(
      QUEUE_NAMES.maintenance,
      {
        [maintenanceJobs.pruneUpdates.name]: processorFor(pruneUpdatesHandler(deps)),
        [maintenanceJobs.expireInvoices.name]: processorFor(
          expireInvoicesHandler({ invoices: createInvoiceRepository(prisma) }),
        ),
        [maintenanceJobs.resumePayments.name]: processorFor(resumePaymentsHandler({ paymentIntents, jobs })),
        [maintenanceJobs.requeueNotifications.name]: processorFor(
          requeueNotificationsHandler({
            outbox: createNotificationOutbox(pgRunner(depositPool), logger.child({ part: 'outbox' })),
            jobs,
          }),
        ),
        [maintenanceJobs.prunePendingActions.name]: processorFor(
          prunePendingActionsHandler({
            pendingActions: createPendingActionRepository(prisma),
            retentionMs: PENDING_ACTION_RETENTION_MS,
          }),
        ),
      },
      maintenanceWorkerOptions,
      shared,
    ),
    startQueueWorker(
      QUEUE_NAMES.payments,
      { [paymentJobs.execute.name]: processorFor(executePayment) },
      paymentsWorkerOptions,
      shared,
    ),
  ];
  const maintenance = new Queue(QUEUE_NAMES.maintenance, { connection: producerRedis, prefix });
  const schedules: [string, number][] = [
    [maintenanceJobs.pruneUpdates.name, PRUNE_UPDATES_EVERY_MS],
    [maintenanceJobs.resumePayments.name, RESUME_PAYMENTS_EVERY_MS],
    [maintenanceJobs.expireInvoices.name, EXPIRE_INVOICES_EVERY_MS],
    [maintenanceJobs.requeueNotifications.name, REQUEUE_NOTIFICATIONS_EVERY_MS],
    [maintenanceJobs.prunePendingActions.name, PRUNE_PENDING_ACTIONS_EVERY_MS],
  ];
  for (const [name, every] of schedules)
    await maintenance.upsertJobScheduler(name, { every }, { name, data: {} });
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  const stellarWatcher = await startStellarWatcher({
    config,
    jobs,
    logger: logger.child({ watcher: 'stellar' }),
    pool: depositPool,
  });
  const evmWatcher = startEvmWatcher({
    config,
    prisma,
    chain: evm,
    sink: createDepositSink({
      store: createDepositRepository(depositPool),
      jobs,
      knownTokens: config.EVM_TOKENS,
      logger: logger.child({ watcher: 'evm' }),
    }),
    logger: logger.child({ watcher: 'evm' }),
  });
  logger.info({ queues: workers.map((worker) => worker.name) }, 'worker started');

  return {
    async stop() {
      // Watchers first: what they have in hand is recorded and its notifications queued.
      await Promise.all([stellarWatcher.stop(), evmWatcher.stop()]);
      // close() waits for the jobs in flight to finish; no job is cut off half-way.
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all([jobs.close(), maintenance.close()]);
      evm.destroy();
      evmTransactions.destroy();
      await Promise.all([
        prisma.$disconnect(),
        updates.close(),
        depositPool.end(),
        workerRedis.quit(),
        producerRedis.quit(),
      ]);
      logger.info('worker stopped');
    },
  };
}

/** How the worker process starts; the end-to-end tests reuse its secret list. */
export const workerProcess: ProcessDefinition<WorkerConfig> = {
  name: 'worker',
  loadConfig: () => loadWorkerConfig(),
  secrets: (config) => [config.BOT_TOKEN, config.SIGNER_AUTH_SECRET],
  start: (config, logger) => startWorkerProcess(config, logger),
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runProcess(workerProcess);
