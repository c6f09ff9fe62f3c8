import type { WorkerOptions } from 'bullmq';

/**
 * Wallet provisioning and activation: short jobs bound by the key service and Horizon. Activations
 * from one treasury serialize on its lock anyway, so modest concurrency is enough.
 */
export const walletsWorkerOptions = {
  concurrency: 8,
  lockDuration: 60_000,
  maxStalledCount: 2,
} satisfies Partial<WorkerOptions>;
