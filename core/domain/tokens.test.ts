import { describe, expect, it } from 'vitest';
import { parseTokenList, tokenByAddress, tokenBySymbol, TokenListError } from './tokens.ts';

const USDC = '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48';

describe('parseTokenList', () => {
  it('reads symbol, checksummed address and decimals', () => {
    expect(parseTokenList(`usdc:${USDC.toLowerCase()}:6`)).toEqual([
      { symbol: 'USDC', address: USDC, decimals: 6 },
    ]);
  });

  it('gives no tokens for a blank list', () => {
    expect(parseTokenList('')).toEqual([]);
    expect(parseTokenList(' , ')).toEqual([]);
  });

  it.each([
    ['USDC:0x123:6', 'invalid contract address'],
    [`USDC:${USDC}`, 'decimals'],
    [`USDC:${USDC}:37`, 'decimals'],
    [`US DC:${USDC}:6`, 'SYMBOL'],
    [`USDC:${USDC}:6:extra`, 'SYMBOL'],
    [`USDC:${USDC}:6,usdc:0x6B175474E89094C44Da98b954EedeAC495271d0F:18`, 'twice'],
  ])('refuses %s', (text, problem) => {
    expect(() => parseTokenList(text)).toThrow(TokenListError);
    expect(() => parseTokenList(text)).toThrow(problem);
  });
});

describe('token lookup', () => {
  const tokens = parseTokenList(`USDC:${USDC}:6`);

  it('finds a token by symbol in any case and by address in any case', () => {
    expect(tokenBySymbol(tokens, 'usdc')?.address).toBe(USDC);
    expect(tokenByAddress(tokens, USDC.toLowerCase())?.symbol).toBe('USDC');
  });

  it('finds nothing for an unknown symbol or a look-alike address', () => {
    expect(tokenBySymbol(tokens, 'USDT')).toBeUndefined();
    expect(tokenByAddress(tokens, '0x6B175474E89094C44Da98b954EedeAC495271d0F')).toBeUndefined();
  });
});
