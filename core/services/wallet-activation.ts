import { AppError, NotFoundError, PermanentError } from '../errors.ts';
import type {
  IntentRecord,
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
  intents: IntentRepository;
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

function isTransactionFailure(error: unknown): error is AppError {
  return error instanceof AppError && error.code === 'STELLAR_TX_FAILED';
}

function resultCodes(error: AppError): string[] {
  const { transactionCode, operationCodes } = error.fields as {
    transactionCode?: string;
    operationCodes?: string[];
  };
  return [transactionCode ?? '', ...(operationCodes ?? [])];
}

/**
 * Creates a wallet's Stellar account exactly once. Safe to run again after any crash: an account
 * that already exists is simply recorded; a stored envelope is looked up and resubmitted as is
 * until it has landed or provably cannot (its sequence was consumed elsewhere or it expired), and
 * only then is a new one built. The treasury's sequence number is the fence: one activation at a
 * time per treasury, across every worker.
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
    const intent = await deps.intents.findByKey(key);
    if (intent?.envelope && (await settleStoredEnvelope(intent, wallet, deps)) === 'landed') return;
    if (await deps.stellar.accountExists(wallet.address)) return;

    const envelopes = await deps.intents.countAttempt(key);
    if (envelopes > MAX_ENVELOPES) throw new ActivationFailedError(wallet.id, 'too many attempts');
    const { startingBalance, networkPassphrase, transactionTimeoutSeconds } = deps.settings;
    const unsigned = deps.transactions.createAccount({
      sourceAddress: treasury.address,
      sequence: await deps.stellar.getSequence(treasury.address),
      destination: wallet.address,
      startingBalance,
      baseFee: await deps.stellar.baseFee(),
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
    // Durable before it leaves the process: a crash from here on resumes with these exact bytes.
    await deps.intents.recordSigned(key, {
      sourceAddress: treasury.address,
      envelope,
      txHash: unsigned.hash,
      amountBase: parseStellarAmount(startingBalance),
    });
    await submitStored(envelope, wallet, key, deps);
  });
}

/**
 * Decides the fate of an envelope stored by an earlier run: landed, or discarded because it can
 * never land. An unknown outcome (timeout, 504) propagates so the job retries the same bytes later.
 */
async function settleStoredEnvelope(
  intent: IntentRecord,
  wallet: WalletRecord,
  deps: ActivationDeps,
): Promise<'landed' | 'discarded'> {
  const seen = intent.txHash ? await deps.stellar.findTransaction(intent.txHash) : null;
  if (seen?.successful) return 'landed';
  if (!seen) {
    try {
      await submitStored(intent.envelope!, wallet, intent.key, deps);
      return 'landed';
    } catch (error) {
      if (!isTransactionFailure(error)) throw error;
      const codes = resultCodes(error);
      const cannotLand = codes.includes('tx_bad_seq') || codes.includes('tx_too_late');
      if (!cannotLand) throw error;
      // tx_bad_seq also follows our own envelope having landed since the lookup above.
      if ((await deps.stellar.findTransaction(intent.txHash!))?.successful) return 'landed';
    }
  }
  await deps.intents.discardEnvelope(intent.key);
  return 'discarded';
}

async function submitStored(
  envelope: string,
  wallet: WalletRecord,
  key: string,
  deps: ActivationDeps,
): Promise<void> {
  await deps.intents.markSubmitted(key);
  try {
    await deps.stellar.submit(envelope);
  } catch (error) {
    if (!isTransactionFailure(error)) throw error;
    const codes = resultCodes(error);
    if (codes.includes('op_already_exists')) return;
    if (codes.includes('tx_bad_seq') || codes.includes('tx_too_late')) throw error;
    await deps.intents.markFailed(key, codes.join(','));
    throw new ActivationFailedError(wallet.id, codes.join(','), { cause: error });
  }
}
