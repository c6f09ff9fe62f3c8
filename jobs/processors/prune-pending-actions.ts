import { maintenanceJobs } from '../../core/queues.ts';
import type { PendingActionRepository } from '../../core/ports.ts';
import type { JobHandler } from '../run-job.ts';

/**
 * Deletes button state long past its expiry. An expired action is refused on its own expiry, so
 * this only keeps the table small; the margin keeps a row a while for anyone looking into a press.
 */
export function prunePendingActionsHandler(deps: {
  pendingActions: Pick<PendingActionRepository, 'deleteExpired'>;
  retentionMs: number;
  now?: () => Date;
}): JobHandler<typeof maintenanceJobs.prunePendingActions.payload> {
  return {
    payload: maintenanceJobs.prunePendingActions.payload,
    run: async ({ log }) => {
      const before = new Date((deps.now?.() ?? new Date()).getTime() - deps.retentionMs);
      const deleted = await deps.pendingActions.deleteExpired(before);
      if (deleted > 0) log.info({ deleted }, 'expired pending actions deleted');
      return { deleted };
    },
  };
}
