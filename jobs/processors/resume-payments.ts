import { maintenanceJobs } from '../../core/queues.ts';
import type { JobProducer, PaymentIntentRepository } from '../../core/ports.ts';
import type { JobHandler } from '../run-job.ts';

/** A payment's stored transaction untouched this long means no job is looking after it. */
export const UNSETTLED_AFTER_MS = 15 * 60_000;
/** Most payments resumed per run; the next run takes the rest. */
const RESUME_BATCH = 200;

/**
 * Gives payments whose job gave up (or whose job data was lost from Redis) with a signed transaction
 * stored a new run. The run settles that transaction by its recorded state — landed, or provably
 * dead and rebuilt — so resuming never pays twice; at most one resume job per payment per round.
 */
export function resumePaymentsHandler(deps: {
  paymentIntents: Pick<PaymentIntentRepository, 'listUnsettled'>;
  jobs: Pick<JobProducer, 'executePayment'>;
  now?: () => Date;
}): JobHandler<typeof maintenanceJobs.resumePayments.payload> {
  return {
    payload: maintenanceJobs.resumePayments.payload,
    run: async ({ log }) => {
      const now = (deps.now?.() ?? new Date()).getTime();
      const keys = await deps.paymentIntents.listUnsettled(new Date(now - UNSETTLED_AFTER_MS), RESUME_BATCH);
      const resumeRound = Math.floor(now / UNSETTLED_AFTER_MS);
      for (const intentKey of keys) await deps.jobs.executePayment({ intentKey, resumeRound });
      if (keys.length > 0) log.warn({ resumed: keys.length }, 'unsettled payments queued again');
      return { resumed: keys.length };
    },
  };
}
