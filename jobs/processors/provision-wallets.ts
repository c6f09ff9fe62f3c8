import { walletJobs } from '../../core/queues.ts';
import { provisionWallets } from '../../core/services/wallet-provisioning.ts';
import type { WorkerDeps } from '../deps.ts';
import type { JobHandler } from '../run-job.ts';

/** Creates a user's wallets through the key service, then sends them their wallet card. */
export function provisionWalletsHandler(deps: WorkerDeps): JobHandler<typeof walletJobs.provision.payload> {
  return {
    payload: walletJobs.provision.payload,
    async run({ payload }) {
      const userId = BigInt(payload.userId);
      const wallets = await provisionWallets(userId, deps);
      await deps.jobs.notify({ kind: 'wallets-created', userId });
      return { wallets: wallets.map((wallet) => wallet.id) };
    },
  };
}
