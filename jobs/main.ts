// Composition root of the worker process: config, logger, dependencies, one BullMQ worker per queue.
import { pathToFileURL } from 'node:url';
import { Api } from 'grammy';
import { I18n } from '@grammyjs/i18n';
import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import { Queue, UnrecoverableError, Worker, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { loadWorkerConfig, type WorkerConfig } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { runProcess, type ProcessDefinition } from '../core/process-entry.ts';
import { DEFAULT_LANGUAGE } from '../core/domain/languages.ts';
import { FLUENT_BUNDLE_OPTIONS, LOCALES_DIR } from '../core/locales.ts';
import { maintenanceJobs, QUEUE_NAMES, walletJobs, notificationJob, type QueueName } from '../core/queues.ts';
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
import { createNotifier } from './notifier.ts';
import { processorFor, type JobProcessor } from './run-job.ts';
import { walletsWorkerOptions } from './queues/wallets.ts';
import { notificationsWorkerOptions } from './queues/notifications.ts';
import { maintenanceWorkerOptions, PRUNE_UPDATES_EVERY_MS } from './queues/maintenance.ts';
import { provisionWalletsHandler } from './processors/provision-wallets.ts';
import { activateStellarWalletHandler } from './processors/activate-stellar-wallet.ts';
import { sendNotificationHandler } from './processors/send-notification.ts';
import { pruneUpdatesHandler } from './processors/prune-updates.ts';
import type { WorkerDeps } from './deps.ts';

/** Seconds a Stellar transaction stays valid; after that, an unseen envelope provably cannot land. */
const STELLAR_TX_TIMEOUT_SECONDS = 60;

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
  const i18n = new I18n<never>({
    defaultLocale: DEFAULT_LANGUAGE,
    directory: LOCALES_DIR,
    fluentBundleOptions: FLUENT_BUNDLE_OPTIONS,
  });
  const updates = createUpdateLog(config.DATABASE_URL, { poolSize: 1 });
  const users = createUserRepository(prisma);
  const wallets = createWalletRepository(prisma);
  const stellar = createStellarNetwork({
    horizonUrl: config.stellar.horizonUrl,
    friendbotUrl: config.stellar.friendbotUrl,
    passphrase: config.stellar.passphrase,
  });
  const evm = createEvmNetwork({ rpcUrl: config.EVM_RPC_URL, chainId: config.EVM_CHAIN_ID });

  const deps: WorkerDeps = {
    logger,
    users,
    wallets,
    intents: createIntentRepository(prisma),
    updates,
    keys: createSignerClient({ url: config.SIGNER_URL, authSecret: config.SIGNER_AUTH_SECRET }),
    stellar,
    evm,
    transactions: createStellarTransactionFactory(config.stellar.passphrase),
    sourceLock: createSourceAccountLock(prisma),
    jobs,
    notifier: createNotifier({ api, i18n, users, wallets, stellar, evm, evmChainId: config.EVM_CHAIN_ID }),
    activation: {
      networkPassphrase: config.stellar.passphrase,
      useFriendbot: config.stellar.friendbotUrl !== undefined,
      startingBalance: config.STELLAR_ACTIVATION_AMOUNT,
      transactionTimeoutSeconds: STELLAR_TX_TIMEOUT_SECONDS,
    },
  };

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
      { [notificationJob.name]: processorFor(sendNotificationHandler(deps)) },
      notificationsWorkerOptions,
      shared,
    ),
    startQueueWorker(
      QUEUE_NAMES.maintenance,
      { [maintenanceJobs.pruneUpdates.name]: processorFor(pruneUpdatesHandler(deps)) },
      maintenanceWorkerOptions,
      shared,
    ),
  ];
  const maintenance = new Queue(QUEUE_NAMES.maintenance, { connection: producerRedis, prefix });
  await maintenance.upsertJobScheduler(
    maintenanceJobs.pruneUpdates.name,
    { every: PRUNE_UPDATES_EVERY_MS },
    { name: maintenanceJobs.pruneUpdates.name, data: {} },
  );
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  logger.info({ queues: workers.map((worker) => worker.name) }, 'worker started');

  return {
    async stop() {
      // close() waits for the jobs in flight to finish; no job is cut off half-way.
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all([jobs.close(), maintenance.close()]);
      evm.destroy();
      await Promise.all([prisma.$disconnect(), updates.close(), workerRedis.quit(), producerRedis.quit()]);
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
