import type { ChainName, KeyService, WalletRecord, WalletRepository } from '../ports.ts';
import type { SignerChain } from '../signer-protocol/schema.ts';
import { walletKeyRef } from '../domain/intent-keys.ts';

const CHAINS: readonly { chain: ChainName; signerChain: SignerChain }[] = [
  { chain: 'STELLAR', signerChain: 'stellar' },
  { chain: 'EVM', signerChain: 'evm' },
];

/** Dependencies of {@link provisionWallets}. */
export interface ProvisioningDeps {
  wallets: WalletRepository;
  keys: KeyService;
}

/**
 * Gives a user one Stellar and one EVM wallet, however often and however concurrently it runs:
 * the key service returns the same key for the same reference, and the database keeps one wallet
 * per user and chain.
 */
export async function provisionWallets(userId: bigint, deps: ProvisioningDeps): Promise<WalletRecord[]> {
  const existing = new Map((await deps.wallets.listByUser(userId)).map((wallet) => [wallet.chain, wallet]));
  const wallets: WalletRecord[] = [];
  for (const { chain, signerChain } of CHAINS) {
    let wallet = existing.get(chain);
    if (!wallet) {
      const key = await deps.keys.createKey({ chain: signerChain, ref: walletKeyRef(userId, signerChain) });
      wallet = await deps.wallets.insertIfAbsent({
        userId,
        chain,
        address: key.address,
        signerKeyId: key.keyId,
        status: chain === 'STELLAR' ? 'PENDING_ACTIVATION' : 'ACTIVE',
      });
    }
    wallets.push(wallet);
  }
  return wallets;
}
