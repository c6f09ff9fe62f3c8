/**
 * Notifications about money (a deposit credited or reversed, an invoice paid) must not be lost
 * when a process stops between committing the change and queueing the job. So they are written
 * to an outbox row in the same transaction as the change, queued after the commit, and the row is
 * released once the jobs are in the queue. A row still there after {@link OUTBOX_GRACE_MS} belongs
 * to a process that stopped (or a queue that was down): the maintenance sweeper queues it again.
 *
 * Queueing twice is harmless: a notification's job id is derived from what it announces
 * (core/queues.ts `jobIds.notification`), so BullMQ keeps one job per announcement.
 */
import type { Logger } from '../logger.ts';
import type { JobProducer, NotificationOutbox, StagedNotifications } from '../ports.ts';

/** How long a row may wait for the process that wrote it before the sweeper takes it over. */
export const OUTBOX_GRACE_MS = 60_000;

/** Dependencies of {@link queueStagedNotifications}. */
export interface QueueStagedDeps {
  jobs: Pick<JobProducer, 'notify'>;
  outbox: Pick<NotificationOutbox, 'release'>;
  logger: Logger;
  /** How often queueing is tried before the row is left to the sweeper. Default 3. */
  attempts?: number;
  /** Pause between tries, doubled each time. Default 200 ms. */
  retryMs?: number;
}

/**
 * Queues the row's notifications and releases it. Never throws: if the queue cannot be reached
 * the row stays in the outbox for the sweeper, and that is logged; the change it announces is
 * committed either way. Returns whether the row was released.
 */
export async function queueStagedNotifications(
  staged: StagedNotifications,
  deps: QueueStagedDeps,
): Promise<boolean> {
  const attempts = deps.attempts ?? 3;
  const retryMs = deps.retryMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      await Promise.all(staged.payloads.map((payload) => deps.jobs.notify(payload)));
      await deps.outbox.release([staged.id]);
      return true;
    } catch (error) {
      if (attempt >= attempts) {
        deps.logger.warn(
          { err: error, outboxId: staged.id, notifications: staged.payloads.length },
          'notifications left in the outbox for the sweeper',
        );
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs * 2 ** (attempt - 1)));
    }
  }
}

/** What one sweep did. */
export interface SweepResult {
  /** Outbox rows queued and released. */
  requeued: number;
  /** Rows claimed but left (the queue failed again); the next sweep takes them. */
  left: number;
}

/**
 * Queues the notifications of outbox rows older than the grace period, in batches of `batchSize`,
 * until none is left or a batch could not be queued.
 */
export async function requeueStaleNotifications(
  deps: { jobs: Pick<JobProducer, 'notify'>; outbox: NotificationOutbox; logger: Logger },
  options: { now: Date; graceMs?: number; batchSize?: number },
): Promise<SweepResult> {
  const before = new Date(options.now.getTime() - (options.graceMs ?? OUTBOX_GRACE_MS));
  const batchSize = options.batchSize ?? 200;
  const result: SweepResult = { requeued: 0, left: 0 };
  for (;;) {
    const rows = await deps.outbox.claimStale(before, batchSize);
    for (const row of rows) {
      const released = await queueStagedNotifications(row, { ...deps, attempts: 1 });
      if (released) result.requeued++;
      else result.left++;
    }
    if (rows.length < batchSize || result.left > 0) return result;
  }
}
