import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobProducer } from '../ports.ts';
import { activationIntentKey } from '../domain/intent-keys.ts';
import {
  defaultJobOptions,
  jobIds,
  notificationJob,
  paymentJobs,
  QUEUE_NAMES,
  walletJobs,
} from '../queues.ts';

/** A {@link JobProducer} on BullMQ, plus `close()` for shutdown. */
export interface BullJobProducer extends JobProducer {
  close(): Promise<void>;
}

/**
 * Enqueues jobs. `connection` should be created with `enableOfflineQueue: false`, so a producer
 * fails fast when Redis is down instead of buffering silently.
 */
export function createJobProducer(connection: Redis, options: { prefix?: string } = {}): BullJobProducer {
  const queueOptions = { connection, prefix: options.prefix, defaultJobOptions };
  const wallets = new Queue(QUEUE_NAMES.wallets, queueOptions);
  const notifications = new Queue(QUEUE_NAMES.notifications, queueOptions);
  const payments = new Queue(QUEUE_NAMES.payments, queueOptions);
  return {
    async provisionWallets({ userId }) {
      await wallets.add(
        walletJobs.provision.name,
        { userId: userId.toString() },
        { jobId: jobIds.provision(userId) },
      );
    },
    async activateStellarWallet({ walletId }) {
      await wallets.add(
        walletJobs.activateStellar.name,
        { walletId },
        { jobId: activationIntentKey(walletId) },
      );
    },
    async executePayment({ intentKey, resumeRound }) {
      await payments.add(
        paymentJobs.execute.name,
        { intentKey },
        { jobId: jobIds.payment(intentKey, resumeRound) },
      );
    },
    async notify(notification) {
      await notifications.add(notificationJob.name, notification, {
        jobId: jobIds.notification(notification),
      });
    },
    async close() {
      await Promise.all([wallets.close(), notifications.close(), payments.close()]);
    },
  };
}
