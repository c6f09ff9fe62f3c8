/**
 * Exact conversions between decimal amount strings and integer base units: Stellar amounts (7
 * decimals, stroops, signed 64-bit on the ledger) and EVM native amounts (18 decimals, wei, 256-bit).
 * No floating point anywhere: a float cannot hold 0.1 XLM exactly, let alone 2^63 stroops.
 */
import { PermanentError } from '../errors.ts';

/** Stroops in one lumen (XLM). */
export const STROOPS_PER_LUMEN = 10_000_000n;
/** Decimals of a Stellar amount. */
export const STELLAR_DECIMALS = 7;
/** Largest amount a Stellar ledger entry can hold: int64 max, in stroops ("922337203685.4775807"). */
export const MAX_STROOPS = 2n ** 63n - 1n;
/** Decimals of an EVM chain's native coin. */
export const WEI_DECIMALS = 18;
/** Largest value a uint256 can hold. */
export const MAX_UINT256 = 2n ** 256n - 1n;

/** Why an amount string was refused; stable, so callers can choose a message. */
export type InvalidAmountReason = 'format' | 'too_many_decimals' | 'too_large';

/** An amount string is not a plain non-negative decimal that fits the target unit. */
export class InvalidAmountError extends PermanentError {
  constructor(
    readonly reason: InvalidAmountReason,
    readonly decimals: number,
  ) {
    // The input itself is left out of the fields: it may be user text of any length.
    super('AMOUNT_INVALID', `amount is invalid (${reason}, at most ${decimals} decimals)`, {
      reason,
      decimals,
    });
  }
}

// Digits, optionally a dot and at least one more digit. No sign, exponent, spaces or separators:
// anything a human could mean in two ways is refused rather than guessed.
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses a non-negative decimal string into integer units with `decimals` places, exactly.
 * Refuses signs, exponents, blanks, a bare or trailing dot, more than `decimals` fraction digits
 * (even zeros: "1.00000000" is not a 7-decimal amount) and values above `max`.
 */
export function parseDecimalAmount(text: string, decimals: number, max: bigint): bigint {
  const match = DECIMAL.exec(text);
  if (!match) throw new InvalidAmountError('format', decimals);
  const whole = match[1]!;
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) throw new InvalidAmountError('too_many_decimals', decimals);
  const value = BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0');
  if (value > max) throw new InvalidAmountError('too_large', decimals);
  return value;
}

/**
 * Formats integer units with `decimals` places. Trailing fraction zeros are trimmed unless
 * `fixed`, and a whole amount has no dot ("100"). Negative values keep their sign (deltas).
 */
export function formatDecimalAmount(value: bigint, decimals: number, fixed = false): string {
  const sign = value < 0n ? '-' : '';
  const magnitude = value < 0n ? -value : value;
  const scale = 10n ** BigInt(decimals);
  const whole = (magnitude / scale).toString();
  if (decimals === 0) return `${sign}${whole}`;
  const fullFraction = (magnitude % scale).toString().padStart(decimals, '0');
  const fraction = fixed ? fullFraction : fullFraction.replace(/0+$/, '');
  return fraction ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}

/** "12.5" → 125000000n. Refuses anything that is not a valid Stellar amount (see {@link parseDecimalAmount}). */
export function parseStellarAmount(amount: string): bigint {
  return parseDecimalAmount(amount, STELLAR_DECIMALS, MAX_STROOPS);
}

/** 125000000n → "12.5"; 1n → "0.0000001"; 1000000000n → "100". */
export function formatStroops(stroops: bigint): string {
  return formatDecimalAmount(stroops, STELLAR_DECIMALS);
}

/** 125000000n → "12.5000000": the always-7-decimals form Horizon prints and Stellar SDKs accept. */
export function formatStroopsFixed(stroops: bigint): string {
  return formatDecimalAmount(stroops, STELLAR_DECIMALS, true);
}

/** "1.5" → 1500000000000000000n. At most 18 decimals, at most uint256 max. */
export function parseWei(amount: string): bigint {
  return parseDecimalAmount(amount, WEI_DECIMALS, MAX_UINT256);
}

/** 1500000000000000000n → "1.5"; 1n → "0.000000000000000001"; 10n ** 20n → "100". */
export function formatWei(wei: bigint): string {
  return formatDecimalAmount(wei, WEI_DECIMALS);
}
