/**
 * The fee a Stellar transaction offers. The last ledger's base fee (100 stroops on the public
 * networks) lands only while ledgers have room; under surge pricing stellar-core refuses a lower
 * bid with `tx_insufficient_fee`. Horizon's `/fee_stats` shows what transactions of the last five
 * ledgers were charged per operation, and its 90th percentile is a bid that lands under the current
 * load without chasing the few that overpay. The platform's cap bounds what a payment ever offers:
 * above it the payment waits for the surge to pass instead of overpaying.
 */
import { SIGNER_STELLAR_MAX_FEE_STROOPS } from '../signer-protocol/fees.ts';

/** Default of STELLAR_MAX_FEE_STROOPS: 10,000 stroops (0.001 XLM) per operation, 100 × the base fee. */
export const DEFAULT_STELLAR_MAX_FEE_STROOPS = 10_000;

/**
 * Highest STELLAR_MAX_FEE_STROOPS may be: the key service refuses to sign a Stellar transaction
 * whose fee exceeds its cap per transaction, and every envelope the worker builds has one
 * operation. Keeping the worker's cap at or under it means a fee the worker chose is never refused
 * as FEE_TOO_HIGH, which would fail the payment for good instead of letting it wait.
 */
export const MAX_STELLAR_FEE_CAP_STROOPS = SIGNER_STELLAR_MAX_FEE_STROOPS;

/** Stellar's protocol minimum per operation; a lower cap could never land anything. */
export const MIN_STELLAR_FEE_STROOPS = 100;

/** The figures of Horizon's `/fee_stats` the choice reads, in stroops per operation. */
export interface StellarFeeStats {
  /** `last_ledger_base_fee`. */
  lastLedgerBaseFee: number;
  /** `fee_charged.p90` over the last five ledgers. */
  feeChargedP90: number;
}

/** What a Stellar transaction should offer in fees now, per operation, in stroops. */
export interface StellarFeeQuote {
  /** What lands under the current load: `fee_charged.p90`, never below the base fee. */
  needed: number;
  /** The most the platform offers (STELLAR_MAX_FEE_STROOPS). */
  cap: number;
}

/** The quote for these fee statistics under `cap`. */
export function quoteStellarFee(stats: StellarFeeStats, cap: number): StellarFeeQuote {
  return { needed: Math.max(stats.lastLedgerBaseFee, stats.feeChargedP90), cap };
}

/**
 * The fee per operation to build with, or `null` while the load asks for more than the cap (the
 * caller waits and asks again later).
 */
export function feeToBuildWith(quote: StellarFeeQuote): number | null {
  return quote.needed <= quote.cap ? quote.needed : null;
}

/**
 * The most a transaction built now or after the surge would offer per operation: what a balance
 * check must keep for the fee. While the load is above the cap, the payment waits until it can
 * land at no more than the cap.
 */
export function feeUpperBound(quote: StellarFeeQuote): number {
  return Math.min(quote.needed, quote.cap);
}
