import { walletJobs } from '../../core/queues.ts';
import { provisionWallets } from '../../core/services/wallet-provisioning.ts';
import { RecipientUnreachableError } from '../notifier.ts';
import type { WorkerDeps } from '../deps.ts';
import type { JobHandler } from '../run-job.ts';

/**
 * Creates a user's wallets through the key service, sends the wallet card, and only then queues the
 * Stellar activation, so "your account is active" can never arrive before the addresses.
 */
export function provisionWalletsHandler(deps: WorkerDeps): JobHandler<typeof walletJobs.provision.payload> {
  return {
    payload: walletJobs.provision.payload,
    async run({ payload, log }) {
      const userId = BigInt(payload.userId);
      const wallets = await provisionWallets(userId, deps);
      try {
        await deps.notifier.send({ kind: 'wallets-created', userId: payload.userId });
      } catch (error) {
        // The wallets exist either way; a user who blocked the bot still gets an active account.
        if (!(error instanceof RecipientUnreachableError)) throw error;
        log.warn({ err: error }, 'wallet card not delivered');
      }
      for (const wallet of wallets) {
        if (wallet.chain === 'STELLAR' && wallet.status === 'PENDING_ACTIVATION') {
          await deps.jobs.activateStellarWallet({ walletId: wallet.id });
        }
      }
      return { wallets: wallets.map((wallet) => wallet.id) };
    },
  };
}
