import { randomBytes } from 'node:crypto';
import { Wallet as EvmWallet } from 'ethers';
import { evmDepositKey } from '../../core/domain/intent-keys.ts';
import type { KnownToken } from '../../core/domain/tokens.ts';
import type { DepositObservation } from '../../core/services/deposits.ts';

/** anvil's chain id, and the address its first deployment gets: the known USDC of deposit tests. */
export const TEST_CHAIN_ID = 31337;
export const TEST_TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
export const TEST_KNOWN_TOKENS: KnownToken[] = [{ symbol: 'USDC', address: TEST_TOKEN, decimals: 6 }];

/** An observed ERC-20 transfer of 10 USDC into the wallet, from a random outside address. */
export function evmTransferTo(
  wallet: { walletId: string; address: string },
  overrides: Partial<DepositObservation> = {},
): DepositObservation {
  const txHash = `0x${randomBytes(32).toString('hex')}`;
  return {
    eventKey: evmDepositKey(TEST_CHAIN_ID, txHash, 0),
    chain: 'EVM',
    chainId: TEST_CHAIN_ID,
    walletId: wallet.walletId,
    fromAddress: EvmWallet.createRandom().address.toLowerCase(),
    toAddress: wallet.address,
    assetCode: 'USDC',
    assetIssuer: TEST_TOKEN,
    amountBase: 10_000_000n,
    memoType: null,
    memo: null,
    txHash,
    height: 100n,
    blockHash: `0x${randomBytes(32).toString('hex')}`,
    occurredAt: new Date(),
    ...overrides,
  };
}
