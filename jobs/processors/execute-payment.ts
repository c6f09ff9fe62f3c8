import { paymentJobs } from '../../core/queues.ts';
import { PermanentError } from '../../core/errors.ts';
import {
  abandonPayment,
  executePayment,
  type PaymentExecutionDeps,
} from '../../core/services/payment-execution.ts';
import type { JobHandler } from '../run-job.ts';

/**
 * Executes one confirmed payment (core/services/payment-execution.ts). A permanent failure has
 * already been recorded and shown to the payer by the service; when transient failures exhaust
 * the attempts, the payment is abandoned: failed if nothing was signed and stored, otherwise left
 * for a later run with the payer told it is unconfirmed.
 */
export function executePaymentHandler(
  deps: Omit<PaymentExecutionDeps, 'log'>,
): JobHandler<typeof paymentJobs.execute.payload> {
  return {
    payload: paymentJobs.execute.payload,
    run: ({ payload, log }) => executePayment(payload.intentKey, { ...deps, log }),
    async onFinalFailure({ payload, log }, error) {
      if (error instanceof PermanentError) return;
      await abandonPayment(payload.intentKey, { ...deps, log });
    },
  };
}
