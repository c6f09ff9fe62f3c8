import type { EvmNetwork, StellarBalance, StellarNetwork, WalletRecord, WalletRepository } from '../ports.ts';

/** A wallet with what the chain says it holds right now. */
export type WalletView =
  | { wallet: WalletRecord; chain: 'STELLAR'; balances: StellarBalance[] | 'not-activated' | 'unavailable' }
  | { wallet: WalletRecord; chain: 'EVM'; nativeWei: bigint | 'unavailable' };

/** Dependencies of {@link describeWallets}. */
export interface OverviewDeps {
  wallets: WalletRepository;
  stellar: StellarNetwork;
  evm: EvmNetwork;
  onChainError?: (error: unknown, wallet: WalletRecord) => void;
}

/**
 * A user's wallets with live balances read from the chains, in parallel. A chain that does not
 * answer makes its balance "unavailable" instead of failing the whole answer.
 */
export async function describeWallets(userId: bigint, deps: OverviewDeps): Promise<WalletView[]> {
  const wallets = await deps.wallets.listByUser(userId);
  const orderOf = { STELLAR: 0, EVM: 1 } as const;
  wallets.sort((a, b) => orderOf[a.chain] - orderOf[b.chain]);
  return Promise.all(
    wallets.map(async (wallet): Promise<WalletView> => {
      try {
        if (wallet.chain === 'STELLAR') {
          const balances = await deps.stellar.getBalances(wallet.address);
          return { wallet, chain: 'STELLAR', balances: balances ?? 'not-activated' };
        }
        return { wallet, chain: 'EVM', nativeWei: await deps.evm.getNativeBalance(wallet.address) };
      } catch (error) {
        deps.onChainError?.(error, wallet);
        return wallet.chain === 'STELLAR'
          ? { wallet, chain: 'STELLAR', balances: 'unavailable' }
          : { wallet, chain: 'EVM', nativeWei: 'unavailable' };
      }
    }),
  );
}
