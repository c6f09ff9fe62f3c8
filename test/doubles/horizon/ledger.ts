/**
 * The in-memory ledger behind the Horizon double. A submitted envelope is decoded with the SDK and
 * validated the way stellar-core does before it may enter a ledger (time bounds, fee, source,
 * sequence number, signatures, balance for the fee, malformed operations); a valid one closes the
 * next ledger at once: fee charged and sequence consumed first, then the operations, all or nothing.
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
import {
  accountIdOf,
  applyOperation,
  availableBalance,
  checkMalformed,
  isSupported,
  type LedgerRules,
  type ResolvedOperation,
} from './operations.ts';
import { isOpSuccess, transactionResult, type OpOutcome, type ResultCodes, type TxCode } from './results.ts';
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

/** A closed ledger. */
export interface LedgerHeader {
  sequence: number;
  hash: string;
  prevHash: string;
  closedAt: Date;
  transactionHashes: string[];
  successfulTransactionCount: number;
  failedTransactionCount: number;
  operationCount: number;
}

/** A transaction that made it into a ledger, successful or not. */
export interface TransactionEntry {
  hash: string;
  ledger: number;
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
  memoType: string;
  memo: string | undefined;
  signatures: string[];
  timeBounds: { minTime: string; maxTime: string } | undefined;
}

/** What happened to a submitted envelope. */
export type SubmissionResult =
  /** In a ledger: applied if `transaction.successful`, else only fee and sequence were taken. */
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
      const keypair = Keypair.fromPublicKey(signer.key);
      const hint = keypair.signatureHint();
      const index = this.signatures.findIndex(
        (signature) => signature.hint().equals(hint) && keypair.verify(this.hash, signature.signature()),
      );
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
  private readonly clock: () => number;
  private clockOffsetMs = 0;

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

  transaction(hash: string): TransactionEntry | undefined {
    return this.byHash.get(hash.toLowerCase());
  }

  /** Every transaction in a ledger, in ledger order. */
  transactions(): TransactionEntry[] {
    return [...this.byHash.values()];
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

  /** Closes a ledger without transactions. */
  closeEmptyLedger(): LedgerHeader {
    return this.closeLedger([], 0, 0);
  }

  /** Submits an envelope (base64 XDR), like `POST /transactions`. */
  submit(envelopeXdr: string): SubmissionResult {
    let decoded: Transaction | FeeBumpTransaction;
    try {
      decoded = TransactionBuilder.fromXDR(envelopeXdr, this.passphrase);
    } catch (error) {
      return { status: 'malformed', envelopeXdr, detail: (error as Error).message };
    }
    // The hash commits to this network's passphrase, so an envelope signed for another network
    // fails the signature check below: that is how stellar-core "checks the network".
    const hash = decoded.hash().toString('hex');
    const known = this.byHash.get(hash);
    // Horizon answers a resubmission of an included transaction with the stored result.
    if (known) return { status: 'included', transaction: known };
    if (decoded instanceof FeeBumpTransaction) {
      return this.reject(hash, envelopeXdr, 'txNotSupported');
    }
    const tx = decoded;
    const feeCharged = this.baseFee * BigInt(tx.operations.length);
    const invalid = this.checkValid(tx, feeCharged);
    if (invalid) return this.reject(hash, envelopeXdr, invalid.code, invalid.operations, feeCharged);
    return { status: 'included', transaction: this.apply(tx, hash, envelopeXdr, feeCharged) };
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
   * Sends `stroops` from the root account with a real signed transaction: `createAccount` for a new
   * address, `payment` for an existing one.
   */
  fund(address: string, stroops: bigint, exists = this.accounts.has(address)): SubmissionResult {
    const root = this.accounts.get(this.root.publicKey())!;
    const amount = formatStroopsFixed(stroops);
    const operation = exists
      ? Operation.payment({ destination: address, asset: Asset.native(), amount })
      : Operation.createAccount({ destination: address, startingBalance: amount });
    const tx = new TransactionBuilder(new Account(this.root.publicKey(), root.sequence.toString()), {
      fee: this.baseFee.toString(),
      networkPassphrase: this.passphrase,
    })
      .addOperation(operation)
      .setTimeout(0)
      .build();
    tx.sign(this.root);
    return this.submit(tx.toXDR());
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

  private apply(tx: Transaction, hash: string, envelopeXdr: string, feeCharged: bigint): TransactionEntry {
    const ledgerSequence = this.latest.sequence + 1;
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
    const successful = outcomes.every(isOpSuccess);
    if (successful) txState.commit(ledgerSequence);
    ledgerState.commit(ledgerSequence);

    const { resultXdr, resultCodes } = transactionResult(
      successful ? 'txSuccess' : 'txFailed',
      feeCharged,
      outcomes,
    );
    const header = this.closeLedger([hash], successful ? 1 : 0, tx.operations.length);
    const entry: TransactionEntry = {
      hash,
      ledger: header.sequence,
      createdAt: header.closedAt,
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
    this.byHash.set(hash, entry);
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

  private closeLedger(hashes: string[], successful: number, operationCount: number): LedgerHeader {
    const previous = this.latest;
    const sequence = previous.sequence + 1;
    const header: LedgerHeader = {
      sequence,
      hash: createHash('sha256')
        .update(`${sequence}:${previous.hash}:${hashes.join(',')}`)
        .digest('hex'),
      prevHash: previous.hash,
      closedAt: new Date(Math.max(this.now(), previous.closedAt.getTime())),
      transactionHashes: hashes,
      successfulTransactionCount: successful,
      failedTransactionCount: hashes.length - successful,
      operationCount,
    };
    this.ledgers.push(header);
    return header;
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

function memoOf(tx: Transaction): { memoType: string; memo: string | undefined } {
  const { type, value } = tx.memo;
  if (type === 'none' || value === null || value === undefined) return { memoType: 'none', memo: undefined };
  return { memoType: type, memo: Buffer.isBuffer(value) ? value.toString('base64') : String(value) };
}
