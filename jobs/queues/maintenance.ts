import type { WorkerOptions } from 'bullmq';

/** Housekeeping: one job at a time, on a schedule. */
export const maintenanceWorkerOptions = {
  concurrency: 1,
  lockDuration: 120_000,
} satisfies Partial<WorkerOptions>;

/** Every hour, forget update ids older than two days (Telegram stops redelivering after one). */
export const PRUNE_UPDATES_EVERY_MS = 3600_000;
export const UPDATE_ID_RETENTION_MS = 2 * 24 * 3600_000;

/** Every minute, open invoices past their expiry become EXPIRED. */
export const EXPIRE_INVOICES_EVERY_MS = 60_000;

/** Every five minutes, payments left with an unsettled transaction get a new run. */
export const RESUME_PAYMENTS_EVERY_MS = 5 * 60_000;

/** Every minute, outbox notifications older than their grace period are queued again. */
export const REQUEUE_NOTIFICATIONS_EVERY_MS = 60_000;

/** Every hour, pending actions (button state) expired for over a day are deleted. */
export const PRUNE_PENDING_ACTIONS_EVERY_MS = 3600_000;
export const PENDING_ACTION_RETENTION_MS = 24 * 3600_000;
