import { PermanentError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { PaymentOrder } from '../../ports.ts';
import type { PaymentStatusReporter, PaymentStatusUpdate } from './ports.ts';

/**
 * The payer's status message as a payment advances. Progress edits (signing, submitted) run one
 * after another in the background, so a slow or rate-limited Bot API never holds the source
 * account's lock, and a failed progress edit never stops a payment. The final edit waits for them,
 * so the message cannot end on a stale stage; it is retried with the job if it fails transiently.
 */
export class StatusTrail {
  private chain: Promise<void> = Promise.resolve();
  private last: string | undefined;

  constructor(
    private readonly order: PaymentOrder,
    private readonly reporter: PaymentStatusReporter,
    private readonly log?: Pick<Logger, 'warn'>,
  ) {}

  /** Queues a progress edit; the same update twice in a row is sent once. */
  progress(update: PaymentStatusUpdate): void {
    const fingerprint = JSON.stringify(update);
    if (fingerprint === this.last) return;
    this.last = fingerprint;
    this.chain = this.chain.then(() =>
      this.reporter.reportPayment(this.order, update).catch((error: unknown) => {
        this.log?.warn({ err: error, stage: update.stage }, 'payment status edit failed');
      }),
    );
  }

  /**
   * Waits for the queued progress edits, then sends the final one. A message that can no longer
   * be edited (deleted, chat gone) is not worth failing the job for; anything else propagates.
   */
  async finish(update: PaymentStatusUpdate): Promise<void> {
    await this.chain;
    try {
      await this.reporter.reportPayment(this.order, update);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      this.log?.warn({ err: error, stage: update.stage }, 'payment status message cannot be edited');
    }
  }

  /** Waits for the queued progress edits (when the run ends without a final edit). */
  async drain(): Promise<void> {
    await this.chain;
  }
}
