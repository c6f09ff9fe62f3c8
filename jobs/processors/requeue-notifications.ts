import { maintenanceJobs } from '../../core/queues.ts';
import type { JobProducer, NotificationOutbox } from '../../core/ports.ts';
import { requeueStaleNotifications } from '../../core/services/notification-outbox.ts';
import type { JobHandler } from '../run-job.ts';

/**
 * Queues notifications left in the outbox by a process that stopped between committing a change
 * and queueing its announcement (or by a queue that was down then). Their job ids are derived
 * from what they announce, so a notification that did get queued is not sent twice.
 */
export function requeueNotificationsHandler(deps: {
  outbox: NotificationOutbox;
  jobs: Pick<JobProducer, 'notify'>;
  now?: () => Date;
}): JobHandler<typeof maintenanceJobs.requeueNotifications.payload> {
  return {
    payload: maintenanceJobs.requeueNotifications.payload,
    run: async ({ log }) => {
      const result = await requeueStaleNotifications(
        { outbox: deps.outbox, jobs: deps.jobs, logger: log },
        { now: deps.now?.() ?? new Date() },
      );
      if (result.requeued > 0 || result.left > 0) log.warn(result, 'outbox notifications queued again');
      return result;
    },
  };
}
