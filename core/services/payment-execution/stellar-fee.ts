/**
 * The fee a fresh Stellar envelope is built with, shared by every money-moving Stellar effect
 * (payments, account activation): what lands under the current load, or a wait while that is above
 * the platform's cap.
 */
import { feeToBuildWith } from '../../domain/stellar-fees.ts';
import { AppError } from '../../errors.ts';
import type { StellarNetwork } from '../../ports.ts';

/**
 * The network asks for more per operation than the platform offers (STELLAR_MAX_FEE_STROOPS).
 * Nothing was built or signed; retry later, when the surge may have passed. A job that runs out of
 * attempts on it ends like any other transient failure.
 */
export class StellarFeeAboveCapError extends AppError {
  readonly retryable = true;

  constructor(
    readonly needed: number,
    readonly cap: number,
  ) {
    super(
      'STELLAR_FEE_ABOVE_CAP',
      `the network asks ${needed} stroops per operation, above the cap of ${cap}`,
      { needed, cap },
    );
  }
}

/**
 * Stroops per operation to build a fresh envelope with. Throws {@link StellarFeeAboveCapError}
 * while the load asks for more than the cap.
 */
export async function feeForFreshEnvelope(stellar: Pick<StellarNetwork, 'feePerOperation'>): Promise<number> {
  const quote = await stellar.feePerOperation();
  const fee = feeToBuildWith(quote);
  if (fee === null) throw new StellarFeeAboveCapError(quote.needed, quote.cap);
  return fee;
}
