import type { WorkerOptions } from 'bullmq';

/** Telegram allows about 30 messages/s in bulk; staying under it avoids 429 storms. */
export const notificationsWorkerOptions = {
  concurrency: 10,
  lockDuration: 30_000,
  limiter: { max: 25, duration: 1_000 },
} satisfies Partial<WorkerOptions>;
