/**
 * Interfaces core/services depend on. Adapters in core/adapters implement them; tests may pass
 * their own implementations for what cannot run here.
 */
import type {
  CreateKeyRequest,
  CreateKeyResponse,
  SignEvmRequest,
  SignEvmResponse,
  SignStellarRequest,
  SignStellarResponse,
} from './signer-protocol/schema.ts';
import type { NotificationPayload } from './queues.ts';

/** The key service as seen by the worker. Implemented by core/adapters/signer-client.ts. */
export interface KeyService {
  createKey(request: CreateKeyRequest): Promise<CreateKeyResponse>;
  signStellar(request: SignStellarRequest): Promise<SignStellarResponse>;
  signEvm(request: SignEvmRequest): Promise<SignEvmResponse>;
  health(): Promise<boolean>;
}

/** One balance line of a Stellar account; `amount` is a 7-decimal string. */
export interface StellarBalance {
  assetCode: string;
  assetIssuer: string | null;
  amount: string;
}

/** Read and write access to a Stellar network (Horizon). */
export interface StellarNetwork {
  /** Balances of an account, or `null` when the account does not exist on the ledger yet. */
  getBalances(address: string): Promise<StellarBalance[] | null>;
  accountExists(address: string): Promise<boolean>;
  /** Asks the network's friendbot to create and fund `address` (test networks only). */
  fundWithFriendbot(address: string): Promise<void>;
  /** Current sequence number of `address` as a decimal string. */
  getSequence(address: string): Promise<string>;
  /** Submits a signed envelope; resolves with the hash once it is in a ledger. */
  submit(envelopeXdr: string): Promise<{ hash: string; ledger: number }>;
  /** Whether a transaction with this hash is in a ledger, and whether it succeeded. */
  findTransaction(hash: string): Promise<{ successful: boolean; ledger: number } | null>;
  /** The network's current base fee in stroops. */
  baseFee(): Promise<number>;
}

/** Read access to an EVM chain. */
export interface EvmNetwork {
  /** Native balance in wei. */
  getNativeBalance(address: string): Promise<bigint>;
}

/** A chain the platform keeps a custodial wallet on. */
export type ChainName = 'STELLAR' | 'EVM';
/** Lifecycle of a wallet: EVM wallets are usable at once, Stellar ones once the account exists. */
export type WalletStatus = 'PENDING_ACTIVATION' | 'ACTIVE' | 'ACTIVATION_FAILED';

/** A platform user: the Telegram id and the language the bot speaks to them in. */
export interface UserRecord {
  id: bigint;
  telegramId: bigint;
  languageCode: string | null;
}

/** Public data of a custodial wallet. */
export interface WalletRecord {
  id: string;
  userId: bigint;
  chain: ChainName;
  address: string;
  signerKeyId: string;
  status: WalletStatus;
}

/** Intent status: a signed envelope is stored (SIGNED) before it is ever submitted. */
export type IntentStatus = 'PENDING' | 'SIGNED' | 'SUBMITTED' | 'CONFIRMED' | 'FAILED';

/** One money-moving effect, keyed so that a retry finds it and resumes. */
export interface IntentRecord {
  id: string;
  key: string;
  status: IntentStatus;
  walletId: string | null;
  sourceAddress: string | null;
  envelope: string | null;
  txHash: string | null;
  attempts: number;
}

export interface UserRepository {
  /** Creates the user on first contact; keeps an existing user's stored language. */
  ensure(telegramId: bigint, languageCode: string | null): Promise<UserRecord>;
  findByTelegramId(telegramId: bigint): Promise<UserRecord | null>;
  findById(id: bigint): Promise<UserRecord | null>;
  setLanguage(telegramId: bigint, languageCode: string): Promise<void>;
}

export interface WalletRepository {
  listByUser(userId: bigint): Promise<WalletRecord[]>;
  findById(id: string): Promise<WalletRecord | null>;
  /** Inserts unless the user already has a wallet on that chain; returns the one that is stored. */
  insertIfAbsent(wallet: Omit<WalletRecord, 'id'>): Promise<WalletRecord>;
  setStatus(id: string, status: WalletStatus): Promise<void>;
}

export interface IntentRepository {
  /** Creates the intent for `key` unless it exists; returns the stored one either way. */
  ensure(input: {
    key: string;
    kind: 'WALLET_ACTIVATION';
    chain: ChainName;
    walletId: string;
  }): Promise<IntentRecord>;
  findByKey(key: string): Promise<IntentRecord | null>;
  /** Records a signed envelope. Must be durable before the envelope is submitted anywhere. */
  recordSigned(
    key: string,
    input: { sourceAddress: string; envelope: string; txHash: string; amountBase: bigint },
  ): Promise<void>;
  markSubmitted(key: string): Promise<void>;
  markConfirmed(key: string): Promise<void>;
  markFailed(key: string, error: string): Promise<void>;
  /** Forgets an envelope that provably can never land, so a fresh one can be built. */
  discardEnvelope(key: string): Promise<void>;
  countAttempt(key: string): Promise<number>;
}

/** Serializes work on one chain source account across every worker process. */
export interface SourceAccountLock {
  withLock<T>(sourceAddress: string, work: () => Promise<T>): Promise<T>;
}

/** The jobs the bot and the worker enqueue. Job ids derive from intent keys, so enqueueing twice is harmless. */
export interface JobProducer {
  provisionWallets(input: { userId: bigint }): Promise<void>;
  activateStellarWallet(input: { walletId: string }): Promise<void>;
  notify(notification: Notification): Promise<void>;
}

/** A message the worker sends a user, named by kind; the text is rendered in the user's language at send time. */
export type Notification = NotificationPayload;

/** Builds Stellar transactions locally; the signature always comes from the key service. */
export interface StellarTransactionFactory {
  createAccount(input: {
    sourceAddress: string;
    sequence: string;
    destination: string;
    startingBalance: string;
    baseFee: number;
    timeoutSeconds: number;
  }): { xdr: string; hash: string };
  /** Returns the envelope with the signature attached; throws if it does not verify against the hash. */
  attachSignature(xdr: string, publicKey: string, signatureBase64: string): string;
}
