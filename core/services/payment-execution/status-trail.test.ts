import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../errors.ts';
import type { PaymentOrder } from '../../ports.ts';
import type { PaymentStatusUpdate } from './ports.ts';
import { StatusTrail } from './status-trail.ts';

const order = { key: 'pay-x' } as PaymentOrder;

/** A reporter whose edits take `delayMs` and fail as `fail` says. */
function reporter(
  options: { delayMs?: number; fail?: (update: PaymentStatusUpdate) => Error | undefined } = {},
) {
  const shown: string[] = [];
  return {
    shown,
    reportPayment: async (_order: PaymentOrder, update: PaymentStatusUpdate) => {
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 0));
      const error = options.fail?.(update);
      if (error) throw error;
      shown.push(update.stage);
    },
  };
}

describe('the status trail', () => {
  it('shows progress in order and the final stage last, even when progress edits are slow', async () => {
    const edits = reporter({ delayMs: 20 });
    const trail = new StatusTrail(order, edits);
    trail.progress({ stage: 'signing' });
    trail.progress({ stage: 'submitted', txHash: 'h' });
    trail.progress({ stage: 'submitted', txHash: 'h' });
    await trail.finish({ stage: 'confirmed', txHash: 'h' });
    expect(edits.shown).toEqual(['signing', 'submitted', 'confirmed']);
  });

  it('lets a failed progress edit pass without stopping the payment', async () => {
    const edits = reporter({ fail: (update) => (update.stage === 'signing' ? new Error('429') : undefined) });
    const trail = new StatusTrail(order, edits);
    trail.progress({ stage: 'signing' });
    await trail.finish({ stage: 'confirmed', txHash: 'h' });
    expect(edits.shown).toEqual(['confirmed']);
  });

  it('gives up on a final edit of a message that is gone, but lets a transient failure retry the job', async () => {
    const gone = new StatusTrail(
      order,
      reporter({ fail: () => new PermanentError('RECIPIENT_UNREACHABLE', 'gone') }),
    );
    await expect(gone.finish({ stage: 'failed', reason: 'network' })).resolves.toBeUndefined();
    const flaky = new StatusTrail(order, reporter({ fail: () => new Error('ETIMEDOUT') }));
    await expect(flaky.finish({ stage: 'failed', reason: 'network' })).rejects.toThrow('ETIMEDOUT');
  });
});
