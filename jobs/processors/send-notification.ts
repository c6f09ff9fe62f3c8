import { notificationJob } from '../../core/queues.ts';
import type { WorkerDeps } from '../deps.ts';
import type { JobHandler } from '../run-job.ts';

/** Sends one notification, rendered in the recipient's language at send time. */
export function sendNotificationHandler(deps: WorkerDeps): JobHandler<typeof notificationJob.payload> {
  return {
    payload: notificationJob.payload,
    run: ({ payload }) => deps.notifier.send(payload),
  };
}
