/**
 * Why a payment failed for good, as one stable reason per thing the payer can understand (and a
 * Fluent message `payment-failure-<reason>` per reason), and how chain and signer errors map to it.
 */
import { AppError, PermanentError } from '../../errors.ts';
import { signerErrorCodes } from '../../signer-protocol/schema.ts';

export const PAYMENT_FAILURE_REASONS = [
  /** Not enough of the asset (or of XLM above the minimum reserve, or of gas money). */
  'insufficient-funds',
  /** The destination has no trustline for the asset. */
  'destination-no-trustline',
  /** The destination account does not exist (and a payment cannot create it). */
  'destination-missing',
  /** The destination's trustline limit cannot take the amount. */
  'destination-line-full',
  /** The destination requires a memo (SEP-29) and the payment has none. */
  'memo-required',
  /** The issuer has not authorized this account or the destination to hold the asset. */
  'not-authorized',
  /** The EVM transaction ran and reverted (its gas is spent). */
  'reverted',
  /** The key service's daily limit for this asset is used up. */
  'daily-limit',
  /** The fee the network asks for is above what the key service signs. */
  'fee-too-high',
  /** The key service refused to sign for another reason (policy, kill switch ...). */
  'signer-refused',
  /** The invoice it pays was paid meanwhile. */
  'invoice-paid',
  /** The invoice it pays expired. */
  'invoice-expired',
  /** The invoice it pays was cancelled by its payee. */
  'invoice-cancelled',
  /** The paying wallet cannot send (not activated, wrong chain). */
  'wallet-unavailable',
  /** Too many envelopes were built without one landing; nothing was sent. */
  'gave-up',
  /** The network could not be reached for long enough; nothing was sent. */
  'network',
  /** The network refused the transaction for another reason. */
  'rejected',
] as const;
export type PaymentFailureReason = (typeof PAYMENT_FAILURE_REASONS)[number];

export function isPaymentFailureReason(value: string): value is PaymentFailureReason {
  return (PAYMENT_FAILURE_REASONS as readonly string[]).includes(value);
}

/** The payment failed for good; the payer has been (or is being) told `reason`. */
export class PaymentFailedError extends PermanentError {
  constructor(
    readonly intentKey: string,
    readonly reason: PaymentFailureReason,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'PAYMENT_FAILED',
      `payment ${intentKey} failed: ${reason} (${detail})`,
      { intentKey, reason, detail },
      options,
    );
  }
}

/** What is stored in `chain_intents.error`: the reason first, so a rerun can tell the payer again. */
export function failureRecord(reason: PaymentFailureReason, detail: string): string {
  return `${reason}: ${detail}`;
}

/** The reason stored by {@link failureRecord}; `rejected` for anything else. */
export function reasonOfRecord(error: string | null): PaymentFailureReason {
  const reason = error?.split(':', 1)[0] ?? '';
  return isPaymentFailureReason(reason) ? reason : 'rejected';
}

const STELLAR_CODES: Readonly<Record<string, PaymentFailureReason>> = {
  op_underfunded: 'insufficient-funds',
  op_low_reserve: 'insufficient-funds',
  op_src_no_trust: 'insufficient-funds',
  tx_insufficient_balance: 'insufficient-funds',
  op_no_trust: 'destination-no-trustline',
  op_no_destination: 'destination-missing',
  op_line_full: 'destination-line-full',
  op_not_authorized: 'not-authorized',
  op_src_not_authorized: 'not-authorized',
};

/**
 * Transaction codes that refuse one submission without failing the payment: the envelope was not
 * accepted, so this submission did not land it, yet the same bytes may still land (or have landed
 * through an earlier submission). `tx_bad_seq`: its sequence number is not the next one;
 * `tx_too_late`: past maxTime by the network's clock, which may run ahead of ours;
 * `tx_insufficient_fee`: its bid is below what surge pricing asks now. Whether such an envelope
 * can still land decides what happens next (stellar-envelope.ts), never these codes alone.
 */
const NOT_ACCEPTED_CODES: ReadonlySet<string> = new Set(['tx_bad_seq', 'tx_too_late', 'tx_insufficient_fee']);

/** Whether Horizon's result codes only refuse this submission (see {@link NOT_ACCEPTED_CODES}). */
export function isNotAcceptedYet(codes: readonly string[]): boolean {
  return codes.some((code) => NOT_ACCEPTED_CODES.has(code));
}

/** The reason behind Horizon's result codes (transaction code first, then each operation's). */
export function reasonOfStellarCodes(codes: readonly string[]): PaymentFailureReason {
  for (const code of codes) {
    const reason = STELLAR_CODES[code];
    if (reason) return reason;
  }
  return 'rejected';
}

const SIGNER_CODES = new Set<string>(signerErrorCodes);

/**
 * A refusal from the key service that retrying cannot change, as a failure reason; `undefined` for
 * anything else (unreachable, paused, audit log down: those pass with a later request).
 */
export function reasonOfSignerRefusal(error: unknown): PaymentFailureReason | undefined {
  if (!(error instanceof AppError)) return undefined;
  if (error.code === 'SIGNER_PROTOCOL') return 'signer-refused';
  if (!SIGNER_CODES.has(error.code) || (error as { retryable?: boolean }).retryable !== false)
    return undefined;
  if (error.code === 'DAILY_LIMIT_EXCEEDED') return 'daily-limit';
  if (error.code === 'FEE_TOO_HIGH') return 'fee-too-high';
  return 'signer-refused';
}
