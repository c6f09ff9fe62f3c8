import { Worker } from 'bullmq';
import { Api } from 'grammy';
import type pg from 'pg';
import { createDepositNoticeReader } from '../../core/adapters/deposit-repository.ts';
import { createJobProducer, type BullJobProducer } from '../../core/adapters/job-producer.ts';
import { connectRedis } from '../../core/adapters/redis.ts';
import type { KnownToken } from '../../core/domain/tokens.ts';
import type { Logger } from '../../core/logger.ts';
import { QUEUE_NAMES } from '../../core/queues.ts';
import type { WorkerDeps } from '../../jobs/deps.ts';
import { createWorkerI18n } from '../../jobs/i18n.ts';
import { createDepositNotices, sendNotificationHandler } from '../../jobs/processors/send-notification.ts';
import { processorFor } from '../../jobs/run-job.ts';
import type { FakeBotApi } from '../doubles/fake-bot-api.ts';
import { TEST_REDIS_URL } from './database.ts';

/** A job producer and the worker's real notification processor for deposit notices, on real Redis. */
export interface DepositNoticeWorker {
  jobs: BullJobProducer;
  stop(): Promise<void>;
}

/**
 * Runs the notifications queue under `prefix` the way the worker does for deposit and invoice-paid
 * kinds, sending through the fake Bot API. Only those kinds: the worker's own notifier is not built.
 */
export async function startDepositNoticeWorker(options: {
  pool: pg.Pool;
  telegram: FakeBotApi;
  prefix: string;
  knownTokens: readonly KnownToken[];
  logger: Logger;
}): Promise<DepositNoticeWorker> {
  const { logger, prefix } = options;
  const producerRedis = await connectRedis(TEST_REDIS_URL, 'producer');
  const workerRedis = await connectRedis(TEST_REDIS_URL, 'worker');
  const jobs = createJobProducer(producerRedis, { prefix });
  const notices = createDepositNotices({
    api: new Api(options.telegram.token, { apiRoot: options.telegram.url }),
    i18n: createWorkerI18n(),
    reader: createDepositNoticeReader(options.pool),
    knownTokens: options.knownTokens,
  });
  const process = processorFor(sendNotificationHandler({ logger } as WorkerDeps, notices));
  const worker = new Worker(QUEUE_NAMES.notifications, (job) => process(job, logger), {
    connection: workerRedis,
    prefix,
    concurrency: 10,
  });
  await worker.waitUntilReady();
  return {
    jobs,
    async stop() {
      await worker.close();
      await jobs.close();
      await Promise.all([producerRedis.quit(), workerRedis.quit()]);
    },
  };
}
