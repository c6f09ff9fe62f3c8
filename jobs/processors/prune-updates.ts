import { maintenanceJobs } from '../../core/queues.ts';
import { UPDATE_ID_RETENTION_MS } from '../queues/maintenance.ts';
import type { WorkerDeps } from '../deps.ts';
import type { JobHandler } from '../run-job.ts';

/** Keeps the update-id log small: ids past Telegram's redelivery window are forgotten. */
export function pruneUpdatesHandler(
  deps: WorkerDeps,
): JobHandler<typeof maintenanceJobs.pruneUpdates.payload> {
  return {
    payload: maintenanceJobs.pruneUpdates.payload,
    run: async () => ({ pruned: await deps.updates.prune(new Date(Date.now() - UPDATE_ID_RETENTION_MS)) }),
  };
}
