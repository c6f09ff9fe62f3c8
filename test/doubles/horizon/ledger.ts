/**
 * The in-memory ledger behind the Horizon double. A submitted envelope is decoded with the SDK and
 * validated the way stellar-core does before it may enter a ledger (time bounds, fee, source,
 * sequence number, signatures, balance for the fee, malformed operations); a valid one is applied
 * at once into the open ledger (fee charged and sequence consumed first, then the operations, all or
 * nothing) and becomes visible (transaction, payment records) when that ledger closes. Account state
 * already shows the applied transaction while its ledger is open, so several transactions of one
 * account can chain their sequence numbers inside one ledger, as on the real network.
 */
import { createHash } from 'node:crypto';
import {
  Account,
  Asset,
  FeeBumpTransaction,
  Keypair,
  Operation,
  StrKey,
  TransactionBuilder,
  type Transaction,
  type xdr,
} from '@stellar/stellar-sdk';
import { formatStroopsFixed } from '../../../core/domain/amounts.ts';
import { signatureHint, signTransaction, verifySignature } from './ed25519.ts';
import {
  accountIdOf,
  applyOperation,
  availableBalance,
  checkMalformed,
  isSupported,
  type LedgerRules,
  type ResolvedOperation,
} from './operations.ts';
import { paymentRecordsOf, PaymentIndex, toid, type IndexedPayment } from './payments.ts';
import {
  isOpSuccess,
  operationOutcomeOf,
  transactionResult,
  txCodeOf,
  type InjectableCode,
  type OpOutcome,
  type ResultCodes,
  type TxCode,
} from './results.ts';
import { LedgerState, newAccount, type AccountEntry } from './state.ts';

/** Settings of the simulated network. */
export interface LedgerOptions {
  passphrase: string;
  /** Stroops per reserve unit; the public networks use 0.5 XLM. */
  baseReserve?: bigint;
  /** Stroops per operation. */
  baseFee?: bigint;
  /** Sequence number of the genesis ledger. */
  startLedger?: number;
  /** Wall clock in milliseconds; time bounds and close times use it. */
  now?: () => number;
}

/** Keys of a fee distribution in Horizon's `/fee_stats`. */
export type FeeStatKey =
  | 'min'
  | 'mode'
  | 'p10'
  | 'p20'
  | 'p30'
  | 'p40'
  | 'p50'
  | 'p60'
  | 'p70'
  | 'p80'
  | 'p90'
  | 'p95'
  | 'p99'
  | 'max';

/**
 * Surge pricing: ledgers are full and stellar-core takes only bids of at least `minFeePerOperation`
 * per operation; a lower one is refused with `tx_insufficient_fee`, the result's `feeCharged` naming
 * the fee it would have needed (as stellar-core does). An accepted transaction is charged that
 * clearing price per operation, whatever more it offered.
 */
export interface SurgePricing {
  minFeePerOperation: bigint;
  /**
   * What `/fee_stats` says the last ledgers charged per operation. Unset keys repeat the nearest
   * set key below them (the lowest set key for those below it; `mode` the median); nothing set:
   * everything at `minFeePerOperation`. Setting values below the minimum shows statistics that
   * lag behind a surge still rising.
   */
  feeCharged?: Partial<Record<FeeStatKey, bigint>>;
}

/** A closed ledger. */
export interface LedgerHeader {
  sequence: number;
  hash: string;
  prevHash: string;
  closedAt: Date;
  transactionHashes: string[];
  successfulTransactionCount: number;
  failedTransactionCount: number;
  /** Operations of the successful transactions. */
  operationCount: number;
  /** Operations of every transaction in the ledger. */
  txSetOperationCount: number;
}

/** A transaction that made it into a ledger, successful or not. */
export interface TransactionEntry {
  hash: string;
  ledger: number;
  /** 1-based position in its ledger. */
  applicationOrder: number;
  /** TOID of the transaction (`ledger << 32 | applicationOrder << 12`), as Horizon pages it. */
  pagingToken: string;
  /** The close time of its ledger. */
  createdAt: Date;
  successful: boolean;
  sourceAccount: string;
  sourceAccountSequence: string;
  feeCharged: bigint;
  maxFee: bigint;
  operationCount: number;
  envelopeXdr: string;
  resultXdr: string;
  resultCodes: ResultCodes;
  /** `none`, `text`, `id`, `hash` or `return`. */
  memoType: string;
  /** As Horizon shows it: text as UTF-8, id in decimal, hash and return base64. */
  memo: string | undefined;
  /** A text memo's raw bytes, base64 (Horizon's `memo_bytes`). */
  memoBytes: string | undefined;
  signatures: string[];
  timeBounds: { minTime: string; maxTime: string } | undefined;
}

/** What happened to a submitted envelope. */
export type SubmissionResult =
  /**
   * In a ledger (or in the open ledger until it closes: see {@link HorizonLedger.isPending}):
   * applied if `transaction.successful`, else only fee and sequence were taken.
   */
  | { status: 'included'; transaction: TransactionEntry }
  /** Refused before any ledger: nothing changed. */
  | { status: 'rejected'; hash: string; envelopeXdr: string; resultXdr: string; resultCodes: ResultCodes }
  /** Not a transaction envelope at all. */
  | { status: 'malformed'; envelopeXdr: string; detail: string };

/** What friendbot did for an address. */
export type FriendbotResult =
  | { status: 'funded'; transaction: TransactionEntry }
  | { status: 'already_funded' }
  | { status: 'invalid_address' }
  | { status: 'failed'; resultCodes: ResultCodes };

/** Friendbot's starting balance: 10,000 XLM. */
export const FRIENDBOT_STARTING_BALANCE = 100_000_000_000n;
/** All lumens in existence, held by the root account at genesis. */
const TOTAL_COINS = 100_000_000_000n * 10_000_000n;

/**
 * Sums the weights of an account's signers that signed the transaction hash, as stellar-core's
 * `SignatureChecker`: every signature must belong to some needed signer (else `tx_bad_auth_extra`).
 */
class SignatureChecker {
  private readonly used: boolean[];
  /** Which signature (index, -1 for none) each signer key made; the same key is checked per operation. */
  private readonly found = new Map<string, number>();

  constructor(
    private readonly hash: Buffer,
    private readonly signatures: xdr.DecoratedSignature[],
  ) {
    this.used = signatures.map(() => false);
  }

  /** Whether the account's signers reach `threshold`; at least one valid signature is always needed. */
  check(account: AccountEntry, threshold: number): boolean {
    let weight = 0;
    for (const signer of account.signers) {
      if (signer.weight <= 0) continue;
      const index = this.signatureOf(signer.key);
      if (index < 0) continue;
      this.used[index] = true;
      weight += signer.weight;
      if (weight >= threshold) return true;
    }
    return false;
  }

  allUsed(): boolean {
    return this.used.every(Boolean);
  }

  private signatureOf(key: string): number {
    let index = this.found.get(key);
    if (index === undefined) {
      const hint = signatureHint(key);
      index = this.signatures.findIndex(
        (signature) =>
          signature.hint().equals(hint) && verifySignature(key, this.hash, signature.signature()),
      );
      this.found.set(key, index);
    }
    return index;
  }
}

/** Told of each ledger that closes, with the transactions it holds in application order. */
export type LedgerListener = (header: LedgerHeader, transactions: readonly TransactionEntry[]) => void;

/** Options of one submission. */
export interface SubmitOptions {
  /** Force this result (see {@link InjectableCode}) on the envelope instead of its own. */
  force?: InjectableCode;
}

interface OpenTransaction {
  entry: TransactionEntry;
  payments: IndexedPayment[];
}

/** The ledger: accounts, closed ledgers and the transactions in them. */
export class HorizonLedger {
  readonly passphrase: string;
  readonly baseReserve: bigint;
  readonly baseFee: bigint;
  /** The network's root account (`Keypair.master(passphrase)`), holding every lumen at genesis. */
  readonly root: Keypair;
  private readonly accounts = new Map<string, AccountEntry>();
  private readonly ledgers: LedgerHeader[] = [];
  private readonly byHash = new Map<string, TransactionEntry>();
  private readonly open: OpenTransaction[] = [];
  private readonly openByHash = new Map<string, TransactionEntry>();
  private readonly listeners = new Set<LedgerListener>();
  /** Payment records of the closed ledgers. */
  readonly payments = new PaymentIndex();
  private readonly clock: () => number;
  private clockOffsetMs = 0;
  private surgePricing: SurgePricing | null = null;

  constructor(options: LedgerOptions) {
    this.passphrase = options.passphrase;
    this.baseReserve = options.baseReserve ?? 5_000_000n;
    this.baseFee = options.baseFee ?? 100n;
    this.clock = options.now ?? Date.now;
    this.root = Keypair.master(options.passphrase);
    const genesis = options.startLedger ?? 1;
    this.ledgers.push({
      sequence: genesis,
      hash: createHash('sha256').update(`genesis:${options.passphrase}`).digest('hex'),
      prevHash: '0'.repeat(64),
      closedAt: new Date(this.now()),
      transactionHashes: [],
      successfulTransactionCount: 0,
      failedTransactionCount: 0,
      operationCount: 0,
      txSetOperationCount: 0,
    });
    this.accounts.set(this.root.publicKey(), newAccount(this.root.publicKey(), TOTAL_COINS, 0n, genesis));
  }

  /** The clock as the ledger sees it, in milliseconds. */
  now(): number {
    return this.clock() + this.clockOffsetMs;
  }

  /** Moves the ledger's clock forward, so time bounds can expire without waiting. */
  advanceTime(seconds: number): void {
    this.clockOffsetMs += seconds * 1000;
  }

  /** Starts (or changes) surge pricing; `null` ends it. */
  setSurge(surge: SurgePricing | null): void {
    if (surge && surge.minFeePerOperation <= 0n)
      throw new Error('horizon double: a surge needs a positive fee');
    this.surgePricing = surge;
  }

  /** The surge in force, if any. */
  get surge(): SurgePricing | null {
    return this.surgePricing;
  }

  /** The lowest fee per operation the network accepts now: the base fee, or the surge's clearing price. */
  minFeePerOperation(): bigint {
    const surge = this.surgePricing?.minFeePerOperation ?? 0n;
    return surge > this.baseFee ? surge : this.baseFee;
  }

  get latest(): LedgerHeader {
    return this.ledgers.at(-1)!;
  }

  /** Closed ledgers, oldest first. */
  history(): readonly LedgerHeader[] {
    return this.ledgers;
  }

  account(id: string): AccountEntry | undefined {
    return this.accounts.get(id);
  }

  /** A transaction of a closed ledger. */
  transaction(hash: string): TransactionEntry | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  /** Whether the transaction is applied but its ledger has not closed yet. */
  isPending(hash: string): boolean {
    return this.openByHash.has(hash.toLowerCase());
  }

  /** Every transaction of the closed ledgers, in ledger order. */
  transactions(): TransactionEntry[] {
    return [...this.byHash.values()];
  }

  /** Calls `listener` after each ledger closes; returns the unsubscribe function. */
  subscribe(listener: LedgerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sets (or, with `null`, removes) a data entry of an account directly, as a `manageData`
   * operation would; each entry is a subentry. Returns false if the account does not exist.
   */
  setData(address: string, name: string, value: string | null): boolean {
    const account = this.accounts.get(address);
    if (!account) return false;
    const had = account.data.has(name);
    if (value === null) account.data.delete(name);
    else account.data.set(name, Buffer.from(value, 'utf8').toString('base64'));
    account.subentries += (account.data.has(name) ? 1 : 0) - (had ? 1 : 0);
    account.lastModifiedLedger = this.latest.sequence;
    return true;
  }

  /**
   * Closes the open ledger with the transactions applied since the last close (none is fine), makes
   * them and their payment records visible, and tells the listeners.
   */
  closeLedger(): LedgerHeader {
    const previous = this.latest;
    const sequence = previous.sequence + 1;
    const included = this.open.splice(0);
    const hashes = included.map(({ entry }) => entry.hash);
    const successful = included.filter(({ entry }) => entry.successful);
    const header: LedgerHeader = {
      sequence,
      hash: createHash('sha256')
        .update(`${sequence}:${previous.hash}:${hashes.join(',')}`)
        .digest('hex'),
      prevHash: previous.hash,
      closedAt: new Date(Math.max(this.now(), previous.closedAt.getTime())),
      transactionHashes: hashes,
      successfulTransactionCount: successful.length,
      failedTransactionCount: included.length - successful.length,
      operationCount: successful.reduce((sum, { entry }) => sum + entry.operationCount, 0),
      txSetOperationCount: included.reduce((sum, { entry }) => sum + entry.operationCount, 0),
    };
    this.ledgers.push(header);
    for (const { entry, payments } of included) {
      entry.createdAt = header.closedAt;
      this.openByHash.delete(entry.hash);
      this.byHash.set(entry.hash, entry);
      this.payments.add(payments);
    }
    const transactions = included.map(({ entry }) => entry);
    for (const listener of this.listeners) listener(header, transactions);
    return header;
  }

  /**
   * Submits an envelope (base64 XDR), like `POST /transactions`: refused, or applied into the open
   * ledger (the caller closes it). An envelope already applied gets its stored result again.
   */
  submit(envelopeXdr: string, options: SubmitOptions = {}): SubmissionResult {
    let decoded: Transaction | FeeBumpTransaction;
    try {
      decoded = TransactionBuilder.fromXDR(envelopeXdr, this.passphrase);
    } catch (error) {
      return { status: 'malformed', envelopeXdr, detail: (error as Error).message };
    }
    // The hash commits to this network's passphrase, so an envelope signed for another network
    // fails the signature check below: that is how stellar-core "checks the network".
    const hash = decoded.hash().toString('hex');
    const known = this.byHash.get(hash) ?? this.openByHash.get(hash);
    // Horizon answers a resubmission of an included transaction with the stored result.
    if (known) return { status: 'included', transaction: known };
    if (decoded instanceof FeeBumpTransaction) {
      return this.reject(hash, envelopeXdr, 'txNotSupported');
    }
    const tx = decoded;
    // Both the least the envelope must offer and what it is charged if it goes in.
    const feeCharged = this.minFeePerOperation() * BigInt(tx.operations.length);
    const forcedTx = options.force === undefined ? undefined : txCodeOf(options.force);
    if (forcedTx) return this.reject(hash, envelopeXdr, forcedTx, [], feeCharged);
    const invalid = this.checkValid(tx, feeCharged);
    if (invalid) return this.reject(hash, envelopeXdr, invalid.code, invalid.operations, feeCharged);
    const forcedOp = options.force === undefined ? undefined : forcedOperation(tx, options.force);
    return { status: 'included', transaction: this.apply(tx, hash, envelopeXdr, feeCharged, forcedOp) };
  }

  /**
   * Friendbot: creates the account with 10,000 XLM; an existing account holding less gets another
   * 10,000 XLM (friendbot's behaviour since 2024); one at or above that is refused.
   */
  friendbot(address: string): FriendbotResult {
    if (!StrKey.isValidEd25519PublicKey(address)) return { status: 'invalid_address' };
    const existing = this.accounts.get(address);
    if (existing && existing.balance >= FRIENDBOT_STARTING_BALANCE) return { status: 'already_funded' };
    const result = this.fund(address, FRIENDBOT_STARTING_BALANCE, existing !== undefined);
    if (result.status === 'included' && result.transaction.successful) {
      return { status: 'funded', transaction: result.transaction };
    }
    // Only reachable if the root account ran dry or the double has a bug: both worth surfacing.
    return { status: 'failed', resultCodes: codesOf(result) };
  }

  /**
   * Sends `stroops` from the root account with a real signed transaction, `createAccount` for a new
   * address and `payment` for an existing one, and closes a ledger at once.
   */
  fund(address: string, stroops: bigint, exists = this.accounts.has(address)): SubmissionResult {
    const root = this.accounts.get(this.root.publicKey())!;
    const amount = formatStroopsFixed(stroops);
    const operation = exists
      ? Operation.payment({ destination: address, asset: Asset.native(), amount })
      : Operation.createAccount({ destination: address, startingBalance: amount });
    const tx = new TransactionBuilder(new Account(this.root.publicKey(), root.sequence.toString()), {
      fee: this.minFeePerOperation().toString(),
      networkPassphrase: this.passphrase,
    })
      .addOperation(operation)
      .setTimeout(0)
      .build();
    signTransaction(tx, this.root);
    return this.submitAndClose(tx.toXDR());
  }

  /** Submits and, if the envelope was applied now, closes the ledger it went into. */
  submitAndClose(envelopeXdr: string, options: SubmitOptions = {}): SubmissionResult {
    const result = this.submit(envelopeXdr, options);
    if (result.status === 'included' && this.isPending(result.transaction.hash)) this.closeLedger();
    return result;
  }

  private checkValid(
    tx: Transaction,
    feeCharged: bigint,
  ): { code: TxCode; operations?: OpOutcome[] } | undefined {
    if (tx.operations.length === 0) return { code: 'txMissingOperation' };
    const closeTime = BigInt(Math.floor(this.now() / 1000));
    if (tx.timeBounds) {
      const minTime = BigInt(tx.timeBounds.minTime);
      const maxTime = BigInt(tx.timeBounds.maxTime);
      if (minTime > 0n && closeTime < minTime) return { code: 'txTooEarly' };
      if (maxTime > 0n && closeTime > maxTime) return { code: 'txTooLate' };
    }
    if (BigInt(tx.fee) < feeCharged) return { code: 'txInsufficientFee' };
    const source = this.accounts.get(accountIdOf(tx.source));
    if (!source) return { code: 'txNoAccount' };
    if (BigInt(tx.sequence) !== source.sequence + 1n) return { code: 'txBadSeq' };
    const signatures = new SignatureChecker(tx.hash(), tx.signatures);
    if (!signatures.check(source, source.thresholds.low)) return { code: 'txBadAuth' };
    if (availableBalance(source, this.rules()) < feeCharged) return { code: 'txInsufficientBalance' };

    // stellar-core stops at the first invalid operation; the others keep their default (success).
    const resolved = this.resolve(tx);
    const operations = resolved.map(defaultOutcome);
    for (const [index, op] of resolved.entries()) {
      const problem = this.checkOperation(op, signatures);
      if (problem) {
        operations[index] = problem;
        return { code: 'txFailed', operations };
      }
    }
    if (!signatures.allUsed()) return { code: 'txBadAuthExtra' };
    return undefined;
  }

  private checkOperation(op: ResolvedOperation, signatures: SignatureChecker): OpOutcome | undefined {
    if (!isSupported(op.body)) return { kind: 'outer', code: 'opNotSupported' };
    const source = this.accounts.get(op.source);
    if (!source) return { kind: 'outer', code: 'opNoAccount' };
    // Payments, account creation and trustlines are medium-threshold operations.
    if (!signatures.check(source, source.thresholds.med)) return { kind: 'outer', code: 'opBadAuth' };
    return checkMalformed(op);
  }

  private apply(
    tx: Transaction,
    hash: string,
    envelopeXdr: string,
    feeCharged: bigint,
    forced?: { index: number; outcome: OpOutcome },
  ): TransactionEntry {
    const ledgerSequence = this.latest.sequence + 1;
    const applicationOrder = this.open.length + 1;
    const rules = this.rules(ledgerSequence);
    const ledgerState = new LedgerState({
      get: (id) => this.accounts.get(id),
      set: (entry) => this.accounts.set(entry.id, entry),
    });
    // Fee and sequence number are taken before the operations run and stay taken if they fail.
    const source = ledgerState.load(accountIdOf(tx.source))!;
    source.balance -= feeCharged;
    source.sequence = BigInt(tx.sequence);

    const txState = ledgerState.child();
    const outcomes = this.resolve(tx).map((op) => {
      const opState = txState.child();
      const outcome = applyOperation(op, opState, rules);
      if (isOpSuccess(outcome)) opState.commit(ledgerSequence);
      return outcome;
    });
    // A forced failure replaces that operation's real outcome; the transaction then fails as a whole.
    if (forced) outcomes[forced.index] = forced.outcome;
    const successful = outcomes.every(isOpSuccess);
    if (successful) txState.commit(ledgerSequence);
    ledgerState.commit(ledgerSequence);

    const { resultXdr, resultCodes } = transactionResult(
      successful ? 'txSuccess' : 'txFailed',
      feeCharged,
      outcomes,
    );
    const entry: TransactionEntry = {
      hash,
      ledger: ledgerSequence,
      applicationOrder,
      pagingToken: toid(ledgerSequence, applicationOrder).toString(),
      // Replaced by the close time when the ledger closes.
      createdAt: new Date(this.now()),
      successful,
      sourceAccount: accountIdOf(tx.source),
      sourceAccountSequence: tx.sequence,
      feeCharged,
      maxFee: BigInt(tx.fee),
      operationCount: tx.operations.length,
      envelopeXdr,
      resultXdr,
      resultCodes,
      ...memoOf(tx),
      signatures: tx.signatures.map((signature) => signature.signature().toString('base64')),
      timeBounds: tx.timeBounds,
    };
    this.openByHash.set(hash, entry);
    this.open.push({
      entry,
      payments: paymentRecordsOf(tx, entry),
    });
    return entry;
  }

  private reject(
    hash: string,
    envelopeXdr: string,
    code: TxCode,
    operations: OpOutcome[] = [],
    feeCharged = 0n,
  ): SubmissionResult {
    return { status: 'rejected', hash, envelopeXdr, ...transactionResult(code, feeCharged, operations) };
  }

  private resolve(tx: Transaction): ResolvedOperation[] {
    return tx.operations.map((body) => ({ source: accountIdOf(body.source ?? tx.source), body }));
  }

  private rules(ledgerSequence = this.latest.sequence + 1): LedgerRules {
    return { baseReserve: this.baseReserve, ledgerSequence };
  }
}

function codesOf(result: SubmissionResult): ResultCodes {
  if (result.status === 'included') return result.transaction.resultCodes;
  if (result.status === 'rejected') return result.resultCodes;
  return { transaction: 'tx_malformed' };
}

/** The result an operation has before it runs: success for the types the double knows. */
function defaultOutcome(op: ResolvedOperation): OpOutcome {
  switch (op.body.type) {
    case 'createAccount':
      return { kind: 'createAccount', code: 'createAccountSuccess' };
    case 'payment':
      return { kind: 'payment', code: 'paymentSuccess' };
    case 'changeTrust':
      return { kind: 'changeTrust', code: 'changeTrustSuccess' };
    default:
      return { kind: 'outer', code: 'opNotSupported' };
  }
}

/** The memo as Horizon serves it: text as (scrubbed) UTF-8 plus its raw bytes, hash and return base64. */
function memoOf(tx: Transaction): {
  memoType: string;
  memo: string | undefined;
  memoBytes: string | undefined;
} {
  const { type, value } = tx.memo;
  if (type === 'none' || value === null || value === undefined) {
    return { memoType: 'none', memo: undefined, memoBytes: undefined };
  }
  if (type === 'text') {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    return { memoType: type, memo: bytes.toString('utf8'), memoBytes: bytes.toString('base64') };
  }
  return {
    memoType: type,
    memo: Buffer.isBuffer(value) ? value.toString('base64') : String(value),
    memoBytes: undefined,
  };
}

/** Where a forced operation-level code lands: the first operation that can have it. */
function forcedOperation(tx: Transaction, code: InjectableCode): { index: number; outcome: OpOutcome } {
  for (const [index, op] of tx.operations.entries()) {
    const outcome = operationOutcomeOf(op.type, code);
    if (outcome) return { index, outcome };
  }
  throw new Error(`horizon double: no operation of this transaction can fail with ${code}`);
}
