/**
 * Executing a confirmed payment exactly once, whatever crashes and retries happen. The intent row
 * (key = job id) is the single source of truth: a signed envelope is stored before it is submitted,
 * a retry settles that envelope first (resubmitting the same bytes until it has landed or provably
 * cannot), and a fresh one is built only after that. All of it runs under the source account's lock,
 * so one transaction per source is in flight across every worker process; the sequence number
 * (Stellar) or nonce (EVM) is the fence should two envelopes ever exist for one payment.
 */
import { NotFoundError, PermanentError } from '../errors.ts';
import type { PaymentIntentRecord } from '../ports.ts';
import {
  failureRecord,
  PaymentFailedError,
  type PaymentFailureReason,
} from './payment-execution/failures.ts';
import type { PaymentExecutionDeps, RunContext, RunResult } from './payment-execution/context.ts';
import { finishedResult } from './payment-execution/context.ts';
import { runEvmPayment } from './payment-execution/evm-payment.ts';
import { runStellarPayment } from './payment-execution/stellar-payment.ts';
import { StatusTrail } from './payment-execution/status-trail.ts';

export type { PaymentExecutionDeps, PaymentExecutionSettings } from './payment-execution/context.ts';
export { PaymentFailedError, type PaymentFailureReason } from './payment-execution/failures.ts';

/** How a payment ended. */
export type PaymentOutcome =
  { status: 'confirmed'; txHash: string } | { status: 'failed'; reason: PaymentFailureReason };

async function loadIntent(intentKey: string, deps: PaymentExecutionDeps): Promise<PaymentIntentRecord> {
  const intent = await deps.paymentIntents.findByKey(intentKey);
  if (!intent) throw new NotFoundError('payment intent', intentKey);
  return intent;
}

/**
 * Executes the payment intent `intentKey` (build, sign, store, submit, confirm) and keeps the
 * payer's status message current. Safe to run any number of times, concurrently too: a finished
 * payment only has its final status shown again.
 *
 * Resolves with the outcome when the payment is confirmed, or had failed before this run. Throws
 * {@link PaymentFailedError} (permanent) when it fails for good in this run, after recording it and
 * telling the payer; any other error is transient and the job retries.
 */
export async function executePayment(intentKey: string, deps: PaymentExecutionDeps): Promise<PaymentOutcome> {
  const intent = await loadIntent(intentKey, deps);
  const trail = new StatusTrail(intent.order, deps.status, deps.log);
  const now = deps.now ?? Date.now;

  let result = finishedResult(intent);
  if (!result) {
    const wallet = await deps.wallets.findById(intent.order.walletId);
    if (!wallet) {
      result = { kind: 'failed', recorded: false, reason: 'wallet-unavailable', detail: 'wallet not found' };
    } else {
      const context: RunContext = { intent, wallet, deps, trail, now };
      const run = intent.order.asset.chain === 'STELLAR' ? runStellarPayment : runEvmPayment;
      try {
        result = await deps.sourceLock.withLock(intent.sourceAddress ?? wallet.address, async () => {
          const ended = await run(context);
          // Recorded under the lock, so a concurrent run finds the payment finished.
          if (ended.kind === 'failed' && !ended.recorded)
            await deps.intents.markFailed(intentKey, failureRecord(ended.reason, ended.detail));
          return ended;
        });
      } catch (error) {
        await trail.drain();
        if (!(error instanceof PermanentError)) throw error;
        // A permanent error no mapping foresaw (a bug, a corrupt envelope): stop, record, tell.
        await deps.intents.markFailed(intentKey, failureRecord('rejected', error.code));
        result = { kind: 'failed', recorded: false, reason: 'rejected', detail: error.code };
      }
    }
  }
  return finish(intentKey, result, trail);
}

/** Shows the final stage (after any progress edits still on their way) and turns the result into the outcome. */
async function finish(intentKey: string, result: RunResult, trail: StatusTrail): Promise<PaymentOutcome> {
  if (result.kind === 'landed') {
    await trail.finish({ stage: 'confirmed', txHash: result.txHash });
    return { status: 'confirmed', txHash: result.txHash };
  }
  await trail.finish({ stage: 'failed', reason: result.reason });
  if (!result.recorded) throw new PaymentFailedError(intentKey, result.reason, result.detail);
  return { status: 'failed', reason: result.reason };
}

/**
 * For a payment whose job gave up on transient errors (attempts exhausted). Without a stored
 * envelope nothing can land: the payment is recorded as failed and the payer told so. With one,
 * its fate is unknown (it may still land), so the intent is left as it is for a later run, and the
 * payer is told it is unconfirmed.
 */
export async function abandonPayment(intentKey: string, deps: PaymentExecutionDeps): Promise<void> {
  const intent = await loadIntent(intentKey, deps);
  const trail = new StatusTrail(intent.order, deps.status, deps.log);
  const finished = finishedResult(intent);
  if (finished) {
    await finish(intentKey, finished, trail);
    return;
  }
  const wallet = await deps.wallets.findById(intent.order.walletId);
  const source = intent.sourceAddress ?? wallet?.address;
  const decided = async (): Promise<RunResult | { kind: 'unconfirmed'; txHash: string }> => {
    const current = await loadIntent(intentKey, deps);
    const done = finishedResult(current);
    if (done) return done;
    if (current.envelope && current.txHash) return { kind: 'unconfirmed', txHash: current.txHash };
    await deps.intents.markFailed(intentKey, failureRecord('network', 'attempts exhausted'));
    return { kind: 'failed', recorded: true, reason: 'network', detail: 'attempts exhausted' };
  };
  const outcome = source ? await deps.sourceLock.withLock(source, decided) : await decided();
  if (outcome.kind === 'unconfirmed') {
    await trail.finish({ stage: 'unconfirmed', txHash: outcome.txHash });
    return;
  }
  await finish(intentKey, outcome, trail);
}
