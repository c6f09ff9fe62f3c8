import { walletJobs } from '../../core/queues.ts';
import { activateStellarWallet } from '../../core/services/wallet-activation.ts';
import type { WorkerDeps } from '../deps.ts';
import type { JobHandler } from '../run-job.ts';

/** Creates a wallet's Stellar account (friendbot, or a createAccount from the treasury). */
export function activateStellarWalletHandler(
  deps: WorkerDeps,
): JobHandler<typeof walletJobs.activateStellar.payload> {
  return {
    payload: walletJobs.activateStellar.payload,
    run: ({ payload }) => activateStellarWallet(payload.walletId, { ...deps, settings: deps.activation }),
    async onFinalFailure({ payload }) {
      await deps.wallets.setStatus(payload.walletId, 'ACTIVATION_FAILED');
      await deps.jobs.notify({ kind: 'wallet-activation-failed', walletId: payload.walletId });
    },
  };
}
