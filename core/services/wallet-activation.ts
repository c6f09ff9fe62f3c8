import { NotFoundError, PermanentError } from '../errors.ts';
import type {
  IntentRepository,
  JobProducer,
  KeyService,
  SourceAccountLock,
  StellarNetwork,
  StellarTransactionFactory,
  WalletRecord,
  WalletRepository,
} from '../ports.ts';
import { parseStellarAmount } from '../domain/amounts.ts';
import { activationIntentKey, TREASURY_KEY_REF } from '../domain/intent-keys.ts';
import type { IntentProgress } from './payment-execution/ports.ts';
import { envelopeFacts, settleStellarEnvelope } from './payment-execution/stellar-envelope.ts';
import { feeForFreshEnvelope } from './payment-execution/stellar-fee.ts';

/** How many fresh envelopes one activation may build before it gives up. */
const MAX_ENVELOPES = 5;

/** The treasury cannot pay for the account (underfunded, missing, refused by the network). */
export class ActivationFailedError extends PermanentError {
  constructor(walletId: string, reason: string, options?: { cause?: unknown }) {
    super(
      'ACTIVATION_FAILED',
      `activation of wallet ${walletId} failed: ${reason}`,
      { walletId, reason },
      options,
    );
  }
}

/** Dependencies of {@link activateStellarWallet}. */
export interface ActivationDeps {
  wallets: WalletRepository;
  /** Also records an envelope's validity (core/adapters/intent-repository.ts does). */
  intents: IntentRepository & Pick<IntentProgress, 'recordSigned'>;
  keys: KeyService;
  stellar: StellarNetwork;
  transactions: StellarTransactionFactory;
  sourceLock: SourceAccountLock;
  jobs: JobProducer;
  settings: {
    networkPassphrase: string;
    /** Fund new accounts through the network's friendbot (test networks) instead of the treasury. */
    useFriendbot: boolean;
    /** XLM the treasury sends to a new account, as a 7-decimal string. */
    startingBalance: string;
    /** Upper bound of a transaction's validity; after it, an unseen envelope provably cannot land. */
    transactionTimeoutSeconds: number;
  };
}

/** What an activation run ended with. */
export type ActivationOutcome = 'activated' | 'already-active';

/**
 * Creates a wallet's Stellar account exactly once. Safe to run again after any crash: an account
 * that already exists is simply recorded; a stored envelope is looked up and resubmitted as is
 * until it has landed or provably cannot (its sequence was consumed elsewhere or it expired), and
 * only then is a new one built. The treasury's sequence number is the fence: one activation at a
 * time per treasury, across every worker. Under surge pricing an underpriced envelope is kept and
 * resubmitted like any other that may still land, and while the load asks for more than the cap
 * nothing is built: both end the run with a transient error, so the job retries later.
 */
export async function activateStellarWallet(
  walletId: string,
  deps: ActivationDeps,
): Promise<ActivationOutcome> {
  const wallet = await deps.wallets.findById(walletId);
  if (!wallet) throw new NotFoundError('wallet', walletId);
  if (wallet.chain !== 'STELLAR')
    throw new PermanentError('NOT_STELLAR', `wallet ${walletId} is not a Stellar wallet`);
  if (wallet.status === 'ACTIVE') return 'already-active';

  const key = activationIntentKey(walletId);
  await deps.intents.ensure({ key, kind: 'WALLET_ACTIVATION', chain: 'STELLAR', walletId });

  if (!(await deps.stellar.accountExists(wallet.address))) {
    if (deps.settings.useFriendbot) {
      await deps.stellar.fundWithFriendbot(wallet.address);
    } else {
      await fundFromTreasury(wallet, key, deps);
    }
  }
  await deps.wallets.setStatus(wallet.id, 'ACTIVE');
  await deps.intents.markConfirmed(key);
  await deps.jobs.notify({ kind: 'wallet-activated', walletId: wallet.id });
  return 'activated';
}

async function fundFromTreasury(wallet: WalletRecord, key: string, deps: ActivationDeps): Promise<void> {
  const treasury = await deps.keys.createKey({ chain: 'stellar', ref: TREASURY_KEY_REF });
  await deps.sourceLock.withLock(treasury.address, async () => {
    // Each pass settles the stored envelope, if any; only a discarded one lets a fresh one be built.
    let signedHere: string | undefined;
    for (;;) {
      const intent = await deps.intents.findByKey(key);
      if (intent?.envelope && intent.txHash) {
        const settled = await settleStellarEnvelope(
          {
            key,
            sourceAddress: intent.sourceAddress ?? treasury.address,
            envelope: intent.envelope,
            txHash: intent.txHash,
          },
          deps,
          { landedCodes: ['op_already_exists'], fresh: intent.txHash === signedHere },
        );
        if (settled.kind === 'landed') return;
        if (settled.kind === 'failed') {
          const codes = settled.codes.join(',');
          await deps.intents.markFailed(key, codes);
          throw new ActivationFailedError(wallet.id, codes);
        }
      }
      if (await deps.stellar.accountExists(wallet.address)) return;

      // Before the envelope is counted: waiting out a surge above the cap builds nothing.
      const fee = await feeForFreshEnvelope(deps.stellar);
      const envelopes = await deps.intents.countAttempt(key);
      if (envelopes > MAX_ENVELOPES) throw new ActivationFailedError(wallet.id, 'too many attempts');
      const { startingBalance, networkPassphrase, transactionTimeoutSeconds } = deps.settings;
      const unsigned = deps.transactions.createAccount({
        sourceAddress: treasury.address,
        sequence: await deps.stellar.getSequence(treasury.address),
        destination: wallet.address,
        startingBalance,
        baseFee: fee,
        timeoutSeconds: transactionTimeoutSeconds,
      });
      const signature = await deps.keys.signStellar({
        keyId: treasury.keyId,
        networkPassphrase,
        transactionXdr: unsigned.xdr,
        declaredOperations: [{ type: 'createAccount', destination: wallet.address, startingBalance }],
      });
      const envelope = deps.transactions.attachSignature(
        unsigned.xdr,
        signature.publicKey,
        signature.signature,
      );
      const { maxTime } = envelopeFacts(envelope);
      // Durable before it leaves the process: a crash from here on resumes with these exact bytes.
      await deps.intents.recordSigned(key, {
        sourceAddress: treasury.address,
        envelope,
        txHash: unsigned.hash,
        amountBase: parseStellarAmount(startingBalance),
        validUntil: maxTime === null ? null : new Date(maxTime * 1000),
      });
      signedHere = unsigned.hash;
    }
  });
}
