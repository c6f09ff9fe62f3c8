const NATIVE_SYMBOLS: Readonly<Record<number, string>> = {
  1: 'ETH',
  10: 'ETH',
  56: 'BNB',
  137: 'POL',
  8453: 'ETH',
  42161: 'ETH',
  11155111: 'SepoliaETH',
  31337: 'ETH',
};

/** The ticker of an EVM chain's native coin, for display. Unknown chains show "ETH"-style units. */
export function nativeSymbol(chainId: number): string {
  return NATIVE_SYMBOLS[chainId] ?? 'ETH';
}
