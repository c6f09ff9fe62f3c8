import type { WorkerOptions } from 'bullmq';

/**
 * Payment execution. Jobs of one source account serialize on its lock (core/adapters/
 * source-account-lock.ts) whatever the concurrency, so concurrency only lets different accounts
 * proceed side by side. It stays modest because a job waiting for the lock holds a database
 * connection meanwhile. The lock duration covers one run: a Stellar submission (Horizon answers
 * within about 35 s) or an EVM receipt wait (EVM_RECEIPT_TIMEOUT_MS); BullMQ renews it while the
 * job runs. Attempts and backoff are the producer's (core/queues.ts defaultJobOptions): about
 * 17 minutes of retries, far longer than a Stellar envelope's validity.
 */
export const paymentsWorkerOptions = {
  concurrency: 4,
  lockDuration: 90_000,
  maxStalledCount: 2,
} satisfies Partial<WorkerOptions>;

/** How long one run waits for an EVM receipt before the job retries (under the lock's hold limit of 120 s). */
export const EVM_RECEIPT_TIMEOUT_MS = 60_000;
