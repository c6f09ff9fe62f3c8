import type { JobProducer, PaymentIntentRecord, PaymentIntentRepository, PaymentOrder } from '../ports.ts';

/**
 * Records a confirmed payment and queues its execution. Safe to call again with the same order
 * (a redelivered Confirm press, a crash between the two steps): the intent key makes the row and
 * the job unique, so the payment is recorded once and executed once.
 */
export async function submitPaymentOrder(
  order: PaymentOrder,
  deps: { paymentIntents: PaymentIntentRepository; jobs: JobProducer },
): Promise<PaymentIntentRecord> {
  const { intent } = await deps.paymentIntents.create(order);
  await deps.jobs.executePayment({ intentKey: intent.key });
  return intent;
}
