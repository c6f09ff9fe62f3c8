/**
 * ERC-20 tokens the platform knows on its EVM chain. Only these can be sent, requested or credited:
 * a token is named by its contract address, never by its symbol, because anyone can deploy a
 * look-alike contract with any symbol.
 */
import { getAddress, isAddress } from 'ethers';
import { PermanentError } from '../errors.ts';

/** A known ERC-20 token: display symbol, checksummed contract address and decimals. */
export interface KnownToken {
  symbol: string;
  address: string;
  decimals: number;
}

/** The token list in configuration is malformed; names the offending entry. */
export class TokenListError extends PermanentError {
  constructor(entry: string, problem: string) {
    super('TOKEN_LIST_INVALID', `token "${entry}" ${problem}`, { entry, problem });
  }
}

const SYMBOL = /^[A-Za-z0-9]{1,12}$/;

/**
 * Parses `SYMBOL:0xContract:decimals` entries separated by commas, e.g.
 * `USDC:0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48:6`. Blank gives no tokens. Symbols and
 * addresses must be unique; decimals 0–36.
 */
export function parseTokenList(text: string): KnownToken[] {
  const tokens: KnownToken[] = [];
  for (const entry of text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [symbol = '', address = '', decimalsText = '', ...rest] = entry.split(':');
    if (rest.length > 0 || !SYMBOL.test(symbol))
      throw new TokenListError(entry, 'must be SYMBOL:0xAddress:decimals');
    if (!isAddress(address)) throw new TokenListError(entry, 'has an invalid contract address');
    if (!/^\d{1,2}$/.test(decimalsText) || Number(decimalsText) > 36)
      throw new TokenListError(entry, 'must have 0-36 decimals');
    const token = {
      symbol: symbol.toUpperCase(),
      address: getAddress(address),
      decimals: Number(decimalsText),
    };
    if (tokens.some((known) => known.symbol === token.symbol || known.address === token.address))
      throw new TokenListError(entry, 'is listed twice');
    tokens.push(token);
  }
  return tokens;
}

/** The known token with this symbol (case-insensitive), or `undefined`. */
export function tokenBySymbol(tokens: readonly KnownToken[], symbol: string): KnownToken | undefined {
  const wanted = symbol.toUpperCase();
  return tokens.find((token) => token.symbol === wanted);
}

/** The known token at this contract address (any case), or `undefined`. */
export function tokenByAddress(tokens: readonly KnownToken[], address: string): KnownToken | undefined {
  const wanted = address.toLowerCase();
  return tokens.find((token) => token.address.toLowerCase() === wanted);
}
