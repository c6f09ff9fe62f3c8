import { describe, expect, it } from 'vitest';
import {
  InvalidAmountError,
  MAX_STROOPS,
  MAX_UINT256,
  formatDecimalAmount,
  formatStroops,
  formatStroopsFixed,
  formatWei,
  parseStellarAmount,
  parseWei,
} from './amounts.ts';

function reasonOf(parse: () => unknown): string | undefined {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidAmountError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('parseStellarAmount', () => {
  it('turns whole and fractional lumens into exact stroops', () => {
    expect(parseStellarAmount('12.5')).toBe(125_000_000n);
    expect(parseStellarAmount('100')).toBe(1_000_000_000n);
    expect(parseStellarAmount('0.0000001')).toBe(1n);
    expect(parseStellarAmount('0')).toBe(0n);
    expect(parseStellarAmount('10000.0000000')).toBe(100_000_000_000n);
  });

  it('keeps precision a float would lose', () => {
    expect(parseStellarAmount('0.1')).toBe(1_000_000n);
    expect(parseStellarAmount('900719925474.0993')).toBe(9_007_199_254_740_993_000n);
  });

  it('accepts exactly int64 max stroops and refuses one stroop more', () => {
    expect(parseStellarAmount('922337203685.4775807')).toBe(MAX_STROOPS);
    expect(reasonOf(() => parseStellarAmount('922337203685.4775808'))).toBe('too_large');
    expect(reasonOf(() => parseStellarAmount('1' + '0'.repeat(40)))).toBe('too_large');
  });

  it('refuses more than seven decimals, even trailing zeros', () => {
    expect(reasonOf(() => parseStellarAmount('0.00000001'))).toBe('too_many_decimals');
    expect(reasonOf(() => parseStellarAmount('1.00000000'))).toBe('too_many_decimals');
  });

  it.each([
    '-1',
    '+1',
    '1e7',
    '1E-7',
    '',
    ' 1',
    '1 ',
    '.5',
    '5.',
    '1,5',
    '1_000',
    'abc',
    '0x10',
    'NaN',
    'Infinity',
    '1.2.3',
  ])('refuses %j as malformed', (text) => {
    expect(reasonOf(() => parseStellarAmount(text))).toBe('format');
  });

  it('raises a typed error with a stable code and no echo of the input', () => {
    const error = (() => {
      try {
        parseStellarAmount('secret-looking input');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidAmountError);
    expect(error).toMatchObject({ code: 'AMOUNT_INVALID', fields: { reason: 'format', decimals: 7 } });
    expect(JSON.stringify((error as InvalidAmountError).fields)).not.toContain('secret');
  });
});

describe('formatStroops', () => {
  it('trims trailing zeros and drops a bare dot', () => {
    expect(formatStroops(125_000_000n)).toBe('12.5');
    expect(formatStroops(1n)).toBe('0.0000001');
    expect(formatStroops(1_000_000_000n)).toBe('100');
    expect(formatStroops(0n)).toBe('0');
    expect(formatStroops(10_000_010n)).toBe('1.000001');
  });

  it('prints int64 max exactly', () => {
    expect(formatStroops(MAX_STROOPS)).toBe('922337203685.4775807');
  });

  it('keeps the sign of a negative delta', () => {
    expect(formatStroops(-100n)).toBe('-0.00001');
  });

  it('round-trips with parseStellarAmount', () => {
    for (const stroops of [0n, 1n, 9n, 10n, 99_999_999n, 100_000_000n, 123_456_789_012n, MAX_STROOPS]) {
      expect(parseStellarAmount(formatStroops(stroops))).toBe(stroops);
      expect(parseStellarAmount(formatStroopsFixed(stroops))).toBe(stroops);
    }
  });
});

describe('formatStroopsFixed', () => {
  it('always prints seven decimals, like Horizon', () => {
    expect(formatStroopsFixed(125_000_000n)).toBe('12.5000000');
    expect(formatStroopsFixed(0n)).toBe('0.0000000');
    expect(formatStroopsFixed(MAX_STROOPS)).toBe('922337203685.4775807');
  });
});

describe('parseWei and formatWei', () => {
  it('convert 18-decimal amounts exactly', () => {
    expect(parseWei('1.5')).toBe(1_500_000_000_000_000_000n);
    expect(parseWei('0.000000000000000001')).toBe(1n);
    expect(formatWei(1_500_000_000_000_000_000n)).toBe('1.5');
    expect(formatWei(1n)).toBe('0.000000000000000001');
    expect(formatWei(10n ** 20n)).toBe('100');
    expect(formatWei(0n)).toBe('0');
  });

  it('refuses a 19th decimal, a sign and values above uint256', () => {
    expect(reasonOf(() => parseWei('0.0000000000000000001'))).toBe('too_many_decimals');
    expect(reasonOf(() => parseWei('-0.1'))).toBe('format');
    expect(reasonOf(() => parseWei(formatWei(MAX_UINT256)))).toBeUndefined();
    expect(reasonOf(() => parseWei(formatWei(MAX_UINT256 + 1n)))).toBe('too_large');
  });

  it('round-trips uint256 max', () => {
    expect(parseWei(formatWei(MAX_UINT256))).toBe(MAX_UINT256);
  });
});

describe('formatDecimalAmount', () => {
  it('handles zero decimals', () => {
    expect(formatDecimalAmount(42n, 0)).toBe('42');
    expect(formatDecimalAmount(42n, 0, true)).toBe('42');
  });
});
