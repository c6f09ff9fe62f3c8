import { describe, expect, it } from 'vitest';
import { feeToBuildWith, feeUpperBound, quoteStellarFee } from './stellar-fees.ts';

describe('choosing a Stellar fee', () => {
  describe('on an idle network', () => {
    it('offers the base fee', () => {
      const quote = quoteStellarFee({ lastLedgerBaseFee: 100, feeChargedP90: 100 }, 10_000);
      expect(quote).toEqual({ needed: 100, cap: 10_000 });
      expect(feeToBuildWith(quote)).toBe(100);
    });
  });

  describe('under surge pricing', () => {
    it('offers the 90th percentile of what the last ledgers charged', () => {
      const quote = quoteStellarFee({ lastLedgerBaseFee: 100, feeChargedP90: 2_500 }, 10_000);
      expect(feeToBuildWith(quote)).toBe(2_500);
      expect(feeUpperBound(quote)).toBe(2_500);
    });

    it('offers exactly the cap when that is what the load asks', () => {
      expect(feeToBuildWith(quoteStellarFee({ lastLedgerBaseFee: 100, feeChargedP90: 10_000 }, 10_000))).toBe(
        10_000,
      );
    });
  });

  it('never offers less than the base fee, whatever the statistics say', () => {
    expect(feeToBuildWith(quoteStellarFee({ lastLedgerBaseFee: 200, feeChargedP90: 100 }, 10_000))).toBe(200);
  });

  describe('when the load asks for more than the cap', () => {
    const quote = quoteStellarFee({ lastLedgerBaseFee: 100, feeChargedP90: 50_000 }, 10_000);

    it('builds nothing, so the payment waits instead of overpaying', () => {
      expect(feeToBuildWith(quote)).toBeNull();
    });

    it('bounds the fee a balance check keeps by the cap', () => {
      expect(feeUpperBound(quote)).toBe(10_000);
    });
  });
});
