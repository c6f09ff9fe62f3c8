/**
 * Amounts as users type them for a payment, read exactly into the asset's base units (stroops, wei,
 * token units). Built on {@link parseDecimalAmount}: no floats, nothing guessed.
 */
import { PermanentError } from '../errors.ts';
import {
  MAX_STROOPS,
  MAX_UINT256,
  STELLAR_DECIMALS,
  WEI_DECIMALS,
  InvalidAmountError,
  parseDecimalAmount,
  type InvalidAmountReason,
} from './amounts.ts';

/** How an asset counts: decimals of its base unit, the largest amount its ledger holds, its code for display. */
export interface AmountUnit {
  decimals: number;
  max: bigint;
  code: string;
}

/** Stellar assets, native or not: 7 decimals, int64 stroops. */
export const stellarUnit = (code: string): AmountUnit => ({
  decimals: STELLAR_DECIMALS,
  max: MAX_STROOPS,
  code,
});
/** An EVM chain's native coin: 18 decimals, uint256 wei. */
export const evmNativeUnit = (code: string): AmountUnit => ({
  decimals: WEI_DECIMALS,
  max: MAX_UINT256,
  code,
});
/** An ERC-20 token: its own decimals, uint256 base units. */
export const tokenUnit = (code: string, decimals: number): AmountUnit => ({
  decimals,
  max: MAX_UINT256,
  code,
});

/** Why a payment amount was refused; stable, so callers can choose a message. */
export type PaymentAmountRefusal = InvalidAmountReason | 'negative' | 'zero' | 'decimal_comma';

/** The text is not an amount that can be paid in this asset. */
export class InvalidPaymentAmountError extends PermanentError {
  constructor(
    readonly reason: PaymentAmountRefusal,
    readonly decimals: number,
  ) {
    super('PAYMENT_AMOUNT_INVALID', `payment amount is invalid (${reason}, at most ${decimals} decimals)`, {
      reason,
      decimals,
    });
  }
}

/**
 * Reads "12.5" (or "12.5 XLM", the asset's own code in any case) into base units of `unit`.
 * Refuses zero, negatives, a decimal comma ("1,5" could be 1.5 or 15 depending on who typed it),
 * more fraction digits than the asset has, more than its ledger can hold, and anything else that
 * is not a plain decimal. Throws {@link InvalidPaymentAmountError}.
 */
export function parsePaymentAmount(text: string, unit: AmountUnit): bigint {
  let amount = text.trim();
  const suffix = ` ${unit.code.toLowerCase()}`;
  if (amount.toLowerCase().endsWith(suffix)) amount = amount.slice(0, -suffix.length).trim();
  if (/^-\s*\d/.test(amount)) throw new InvalidPaymentAmountError('negative', unit.decimals);
  if (/^\d+,\d+$/.test(amount)) throw new InvalidPaymentAmountError('decimal_comma', unit.decimals);
  let value: bigint;
  try {
    value = parseDecimalAmount(amount, unit.decimals, unit.max);
  } catch (error) {
    if (error instanceof InvalidAmountError) throw new InvalidPaymentAmountError(error.reason, unit.decimals);
    throw error;
  }
  if (value === 0n) throw new InvalidPaymentAmountError('zero', unit.decimals);
  return value;
}
