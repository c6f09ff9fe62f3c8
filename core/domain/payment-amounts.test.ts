import { describe, expect, it } from 'vitest';
import { MAX_STROOPS, MAX_UINT256 } from './amounts.ts';
import {
  InvalidPaymentAmountError,
  evmNativeUnit,
  parsePaymentAmount,
  stellarUnit,
  tokenUnit,
  type AmountUnit,
} from './payment-amounts.ts';

const XLM = stellarUnit('XLM');
const ETH = evmNativeUnit('ETH');
const USDC = tokenUnit('USDC', 6);

function reasonOf(text: string, unit: AmountUnit): string | undefined {
  try {
    parsePaymentAmount(text, unit);
  } catch (error) {
    if (error instanceof InvalidPaymentAmountError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('parsePaymentAmount', () => {
  it('reads amounts exactly in each asset’s base units', () => {
    expect(parsePaymentAmount('12.5', XLM)).toBe(125_000_000n);
    expect(parsePaymentAmount('0.0000001', XLM)).toBe(1n);
    expect(parsePaymentAmount('0.1', ETH)).toBe(100_000_000_000_000_000n);
    expect(parsePaymentAmount('0.000000000000000001', ETH)).toBe(1n);
    expect(parsePaymentAmount('2.5', USDC)).toBe(2_500_000n);
    expect(parsePaymentAmount('1000000', tokenUnit('WHOLE', 0))).toBe(1_000_000n);
  });

  it('accepts blanks around the amount and the asset’s own code after it', () => {
    expect(parsePaymentAmount('  12.5 xlm ', XLM)).toBe(125_000_000n);
    expect(parsePaymentAmount('3 USDC', USDC)).toBe(3_000_000n);
    expect(reasonOf('3 XLM', USDC)).toBe('format');
  });

  it('refuses zero, negative amounts and a decimal comma', () => {
    expect(reasonOf('0', XLM)).toBe('zero');
    expect(reasonOf('0.0000000', XLM)).toBe('zero');
    expect(reasonOf('-5', XLM)).toBe('negative');
    expect(reasonOf('- 5', ETH)).toBe('negative');
    expect(reasonOf('1,5', XLM)).toBe('decimal_comma');
  });

  it('refuses more decimals than the asset has', () => {
    expect(reasonOf('0.00000001', XLM)).toBe('too_many_decimals');
    expect(reasonOf('1.0000001', USDC)).toBe('too_many_decimals');
    expect(reasonOf('1.5', tokenUnit('WHOLE', 0))).toBe('too_many_decimals');
  });

  it('refuses amounts the ledger cannot hold', () => {
    expect(parsePaymentAmount('922337203685.4775807', XLM)).toBe(MAX_STROOPS);
    expect(reasonOf('922337203685.4775808', XLM)).toBe('too_large');
    expect(reasonOf(`${MAX_UINT256 + 1n}`, tokenUnit('WHOLE', 0))).toBe('too_large');
  });

  it('refuses exponents, separators, signs and words', () => {
    for (const text of ['1e3', '1,000.5', '+5', '1 000', '.5', '5.', 'ten', '', '0x10', '5 XLM XLM']) {
      expect(reasonOf(text, XLM), JSON.stringify(text)).toBe('format');
    }
  });
});
