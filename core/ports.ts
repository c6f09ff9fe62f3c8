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
import type { StellarFeeQuote } from './domain/stellar-fees.ts';

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
  /**
   * The fee per operation a transaction should offer now (Horizon's `/fee_stats`) and the most the
   * platform offers; see core/domain/stellar-fees.ts for how to build with it.
   */
  feePerOperation(): Promise<StellarFeeQuote>;
  /** Account state for checking a payment before signing; `null` when the account does not exist. */
  getAccount(address: string): Promise<StellarAccountState | null>;
}

/** Read access to an EVM chain. */
export interface EvmNetwork {
  /** Native balance in wei. */
  getNativeBalance(address: string): Promise<bigint>;
  /** ERC-20 balance in the token's base units (`balanceOf`). */
  getTokenBalance(token: string, address: string): Promise<bigint>;
  /** Current EIP-1559 fee parameters in wei, for building a transaction or bounding its cost. */
  feeData(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }>;
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
  /**
   * Records `username` (any case, without `@`; `null` when the user has none any more) and takes
   * the name away from anyone else who had it: Telegram lets a freed name be taken by someone else,
   * and whoever was seen with it last owns it. Creates the user on first contact, like `ensure`;
   * an existing user keeps their language.
   */
  rememberUsername(telegramId: bigint, username: string | null, languageCode: string | null): Promise<void>;
  /** The user last seen with this username (any case, without `@`), so users can pay each other by name. */
  findByUsername(username: string): Promise<UserRecord | null>;
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
  /**
   * Queues a recorded payment intent; the job id is the intent key. `resumeRound` queues a later
   * run of an intent whose job is gone or gave up, under a job id of its own for that round.
   */
  executePayment(input: { intentKey: string; resumeRound?: number }): Promise<void>;
  notify(notification: Notification): Promise<void>;
}

/** A message the worker sends a user, named by kind; the text is rendered in the user's language at send time. */
export type Notification = NotificationPayload;

/** One outbox row: the notifications committed with one change. */
export interface StagedNotifications {
  id: string;
  payloads: Notification[];
}

/** The outbox table as the queueing side sees it. Implemented by core/adapters/notification-outbox.ts; see core/services/notification-outbox.ts. */
export interface NotificationOutbox {
  /** Deletes the rows (their notifications are queued). */
  release(ids: readonly string[]): Promise<void>;
  /**
   * Claims up to `limit` rows written before `before`, oldest first, skipping rows another sweeper
   * holds; a claimed row that is not released becomes claimable again after the grace period.
   */
  claimStale(before: Date, limit: number): Promise<StagedNotifications[]>;
}

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

/** State of a Stellar account needed to check a payment before anything is signed. */
export interface StellarAccountState {
  address: string;
  /** Sequence number as a decimal string. */
  sequence: string;
  /** Native balance in stroops. */
  nativeBalance: bigint;
  /** Stroops the account must keep: (2 + subentries + sponsoring - sponsored) × base reserve, plus selling liabilities. */
  minimumBalance: bigint;
  trustlines: StellarTrustline[];
  /** SEP-29: the account's `config.memo_required` data entry says payments to it need a memo. */
  memoRequired: boolean;
}

/** One trustline of a Stellar account; amounts in stroops. */
export interface StellarTrustline {
  assetCode: string;
  assetIssuer: string;
  balance: bigint;
  limit: bigint;
  authorized: boolean;
}

/**
 * An asset a payment moves. `issuer` is the Stellar issuer or the ERC-20 contract, `null` for the
 * chain's native coin; `code` is for display only (an ERC-20 is identified by its contract alone).
 */
export type PaymentAsset =
  | { chain: 'STELLAR'; code: string; issuer: string | null }
  | { chain: 'EVM'; chainId: number; code: string; issuer: string | null };

/** A Stellar memo as the user typed it or an invoice requires it. */
export type PaymentMemo = { type: 'text'; value: string } | { type: 'id'; value: string };

/**
 * A payment the user has reviewed and confirmed: everything needed to build, sign and check the
 * transaction. `amountBase` is stroops, wei or token base units.
 */
export interface PaymentOrder {
  /** The intent key and job id; derived from the single-use pending action that confirmed it. */
  key: string;
  userId: bigint;
  walletId: string;
  asset: PaymentAsset;
  amountBase: bigint;
  /** `G…`, `M…` or `0x…` (checksummed). */
  destination: string;
  recipientUserId: bigint | null;
  memo: PaymentMemo | null;
  invoiceId: string | null;
  /** The message the worker edits in place as the payment advances. */
  statusChatId: bigint;
  statusMessageId: number;
}

/** A stored payment intent: the order plus where its transaction stands. */
export interface PaymentIntentRecord extends IntentRecord {
  order: PaymentOrder;
  evmNonce: bigint | null;
  validUntil: Date | null;
  error: string | null;
}

export interface PaymentIntentRepository {
  /** Records the order unless its key exists; returns whether this call created it. */
  create(order: PaymentOrder): Promise<{ created: boolean; intent: PaymentIntentRecord }>;
  findByKey(key: string): Promise<PaymentIntentRecord | null>;
  /**
   * Keys of payments with a stored transaction (SIGNED or SUBMITTED) untouched since `before`:
   * their jobs gave up or were lost, and only a new run can settle them.
   */
  listUnsettled(before: Date, limit: number): Promise<string[]>;
}

/** What a button press may do, kept server-side; `callback_data` carries only the id. */
export interface PendingActionRecord<P = unknown> {
  id: string;
  kind: string;
  telegramUserId: bigint;
  chatId: bigint;
  messageId: number | null;
  payload: P;
  expiresAt: Date;
  usedAt: Date | null;
}

export interface PendingActionRepository {
  insert(action: Omit<PendingActionRecord, 'usedAt'>): Promise<void>;
  /** Binds the action to the message that carries its button; only an unbound action can be bound. */
  bindMessage(id: string, chatId: bigint, messageId: number): Promise<boolean>;
  /**
   * Marks the action used if, and only if, it is unused, unexpired at `now`, and matches the
   * presser, chat and message. Returns it when this call consumed it, else `null`; atomic.
   */
  consume(input: {
    id: string;
    kind: string;
    telegramUserId: bigint;
    chatId: bigint;
    messageId: number;
    now: Date;
  }): Promise<PendingActionRecord | null>;
  findById(id: string): Promise<PendingActionRecord | null>;
  deleteExpired(before: Date): Promise<number>;
}

/** A transfer into a platform wallet as a watcher saw it on chain, before it is recorded. */
export interface ObservedDeposit {
  /** The chain's own identity of the event (`stellarDepositKey`, `evmDepositKey` in core/domain/intent-keys.ts); unique. */
  eventKey: string;
  chain: ChainName;
  chainId: number | null;
  walletId: string;
  fromAddress: string;
  toAddress: string;
  assetCode: string;
  assetIssuer: string | null;
  amountBase: bigint;
  memoType: string | null;
  memo: string | null;
  txHash: string;
  /** Stellar ledger or EVM block number. */
  height: bigint;
  blockHash: string | null;
}

/** How an invoice is paid. */
export type InvoiceRail = 'STELLAR' | 'EVM' | 'STARS';
/** Life of an invoice: open until paid, cancelled by its payee, or past its expiry. */
export type InvoiceStatus = 'OPEN' | 'PAID' | 'EXPIRED' | 'CANCELLED';

/** A request for money. Amounts in stroops, wei, token base units or whole Stars. */
export interface InvoiceRecord {
  id: string;
  slug: string;
  payeeUserId: bigint;
  rail: InvoiceRail;
  chainId: number | null;
  assetCode: string;
  assetIssuer: string | null;
  amountBase: bigint;
  description: string;
  payeeAddress: string | null;
  memoId: bigint;
  status: InvoiceStatus;
  expiresAt: Date;
  paidAt: Date | null;
  paidByUserId: bigint | null;
  settlementRef: string | null;
  createdAt: Date;
}

/** What a new invoice needs; the slug and memo id are assigned on insert. */
export type NewInvoice = Pick<
  InvoiceRecord,
  | 'payeeUserId'
  | 'rail'
  | 'chainId'
  | 'assetCode'
  | 'assetIssuer'
  | 'amountBase'
  | 'description'
  | 'payeeAddress'
  | 'expiresAt'
>;

export interface InvoiceRepository {
  /** Inserts with a fresh random slug (retrying on the rare collision). */
  create(invoice: NewInvoice): Promise<InvoiceRecord>;
  findBySlug(slug: string): Promise<InvoiceRecord | null>;
  findById(id: string): Promise<InvoiceRecord | null>;
  /** OPEN → CANCELLED by its payee; `false` when it was not open or not theirs. */
  cancel(id: string, payeeUserId: bigint): Promise<boolean>;
  /** OPEN invoices whose expiry is at or before `now` become EXPIRED; returns how many. */
  expireDue(now: Date): Promise<number>;
  /**
   * Records a Telegram Stars payment once per charge id and settles the invoice if it is still
   * open and unexpired at `now`. `credited` is false for a redelivered charge.
   */
  recordStarPayment(input: {
    chargeId: string;
    invoiceId: string;
    payerTelegramId: bigint;
    payerUserId: bigint | null;
    amount: bigint;
    now: Date;
  }): Promise<{ credited: boolean; settled: boolean; staged: StagedNotifications | null }>;
  /** PAID → REFUNDED for a charge; `false` when unknown or already refunded. */
  markStarPaymentRefunded(chargeId: string, now: Date): Promise<boolean>;
  findStarPayment(chargeId: string): Promise<{
    chargeId: string;
    invoiceId: string;
    payerTelegramId: bigint;
    amount: bigint;
    status: 'PAID' | 'REFUNDED';
  } | null>;
}
