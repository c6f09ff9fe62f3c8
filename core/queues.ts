/**
 * The contract between producers (bot, worker) and processors (worker): queue and job names,
 * payload schemas and job ids. Payloads carry ids only, never secrets: BullMQ stores them in clear.
 */
import { z } from 'zod';

export const QUEUE_NAMES = {
  wallets: 'wallets',
  notifications: 'notifications',
  maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

const decimalId = z.string().regex(/^\d{1,20}$/);

export const walletJobs = {
  provision: { name: 'provision', payload: z.object({ userId: decimalId }) },
  activateStellar: { name: 'activate-stellar', payload: z.object({ walletId: z.uuid() }) },
} as const;

export const notificationJob = {
  name: 'send',
  payload: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('wallets-created'), userId: decimalId }),
    z.object({ kind: z.literal('wallet-activated'), walletId: z.uuid() }),
    z.object({ kind: z.literal('wallet-activation-failed'), walletId: z.uuid() }),
  ]),
} as const;
export type NotificationPayload = z.infer<typeof notificationJob.payload>;

export const maintenanceJobs = {
  pruneUpdates: { name: 'prune-updates', payload: z.object({}) },
} as const;

/** Job ids equal intent keys where there is one; BullMQ forbids ':' in them. */
export const jobIds = {
  provision: (userId: bigint | string) => `provision-${userId}`,
  notification: (payload: NotificationPayload) =>
    payload.kind === 'wallets-created'
      ? `notify-${payload.kind}-${payload.userId}`
      : `notify-${payload.kind}-${payload.walletId}`,
};

/** Retries with backoff for transient failures; finished jobs are removed explicitly, not kept forever. */
export const defaultJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;
