/**
 * The contract between producers (bot, worker) and processors (worker): queue and job names,
 * payload schemas and job ids. Payloads carry ids only, never secrets: BullMQ stores them in clear.
 */
import { z } from 'zod';

export const QUEUE_NAMES = {
  wallets: 'wallets',
  notifications: 'notifications',
  maintenance: 'maintenance',
  payments: 'payments',
} as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

const decimalId = z.string().regex(/^\d{1,20}$/);
const revision = z.number().int().nonnegative();

export const walletJobs = {
  provision: { name: 'provision', payload: z.object({ userId: decimalId }) },
  activateStellar: { name: 'activate-stellar', payload: z.object({ walletId: z.uuid() }) },
} as const;

const intentKey = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/);

export const paymentJobs = {
  /** Builds, signs, submits and confirms one confirmed payment; the job id is the intent key. */
  execute: { name: 'execute-payment', payload: z.object({ intentKey }) },
} as const;

export const notificationJob = {
  name: 'send',
  payload: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('wallets-created'), userId: decimalId }),
    z.object({ kind: z.literal('wallet-activated'), walletId: z.uuid() }),
    z.object({ kind: z.literal('wallet-activation-failed'), walletId: z.uuid() }),
    /**
     * A transfer into a platform wallet was credited: tell its owner. `revision` is the deposit's
     * (a transfer re-mined after a reorg is credited again under a new revision).
     */
    z.object({ kind: z.literal('deposit-received'), depositId: z.uuid(), revision }),
    /** A credited transfer was removed by a reorg: tell its owner it is gone. */
    z.object({ kind: z.literal('deposit-reversed'), depositId: z.uuid(), revision }),
    /**
     * An invoice was paid: tell the payee. `deposit` names the on-chain payment that settled it (an
     * invoice reopened by a reorg can be settled again by another); a Stars payment has none.
     */
    z.object({
      kind: z.literal('invoice-paid'),
      invoiceId: z.uuid(),
      deposit: z.object({ id: z.uuid(), revision }).optional(),
    }),
  ]),
} as const;
export type NotificationPayload = z.infer<typeof notificationJob.payload>;

export const maintenanceJobs = {
  pruneUpdates: { name: 'prune-updates', payload: z.object({}) },
  /** Moves open invoices past their expiry to EXPIRED. */
  expireInvoices: { name: 'expire-invoices', payload: z.object({}) },
  /** Deletes pending actions (button state) long past their expiry. */
  prunePendingActions: { name: 'prune-pending-actions', payload: z.object({}) },
  /** Queues notifications whose outbox row outlived its commit (the process stopped before queueing them). */
  requeueNotifications: { name: 'requeue-notifications', payload: z.object({}) },
  /** Runs payments again whose stored transaction was left unsettled (their job gave up or was lost). */
  resumePayments: { name: 'resume-payments', payload: z.object({}) },
} as const;

/** Job ids equal intent keys where there is one; BullMQ forbids ':' in them. */
export const jobIds = {
  provision: (userId: bigint | string) => `provision-${userId}`,
  notification: (payload: NotificationPayload) => `notify-${payload.kind}-${notificationSubject(payload)}`,
  payment: (intentKey: string, resumeRound?: number) =>
    resumeRound === undefined ? intentKey : `${intentKey}-resume-${resumeRound}`,
};

function notificationSubject(payload: NotificationPayload): string {
  switch (payload.kind) {
    case 'wallets-created':
      return payload.userId;
    case 'wallet-activated':
    case 'wallet-activation-failed':
      return payload.walletId;
    case 'deposit-received':
    case 'deposit-reversed':
      return `${payload.depositId}-r${payload.revision}`;
    case 'invoice-paid':
      return payload.deposit
        ? `${payload.invoiceId}-${payload.deposit.id}-r${payload.deposit.revision}`
        : payload.invoiceId;
  }
}

/** Retries with backoff for transient failures; finished jobs are removed explicitly, not kept forever. */
export const defaultJobOptions = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;
