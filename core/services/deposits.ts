/**
 * The deposit sink: where both chain watchers (Stellar and EVM) and both re-sync commands record
 * what they saw arrive at platform wallets, and the one place that credits deposits, settles the
 * invoices they pay and queues the owner's notification.
 *
 * Exactly once: a deposit is unique on the chain's own identity of the event (`eventKey`), and
 * every state change is a conditional write whose RETURNING tells the caller whether IT made the
 * change. Only the call that inserted a row, or moved it from one status to the next, acts on it
 * (settles an invoice, queues a notification); a live watcher, a restarted one and any number of
 * re-syncs can see the same event at the same time and the owner still hears of it once. The
 * notification is written to the outbox in the transaction that makes the change and queued after
 * the commit (core/services/notification-outbox.ts), so a crash in between loses nothing.
 *
 * Lifecycle of a deposit (see prisma/schema.prisma `DepositStatus`):
 * - Stellar: recorded CREDITED at once (a closed ledger is final).
 * - EVM: recorded PENDING, then `credit` once confirmed; `reverse` after a reorg drops a pending one
 *   silently and reverses a credited one (the owner is told, a paid invoice is reopened). An event
 *   seen again after it was dropped or reversed (the transaction re-mined in another block) is
 *   recorded afresh under the same key.
 */
import { getAddress, isAddress } from 'ethers';
import { MuxedAccount, StrKey } from '@stellar/stellar-sdk';
import type {
  ChainName,
  JobProducer,
  Notification,
  ObservedDeposit,
  StagedNotifications,
  WalletStatus,
} from '../ports.ts';
import { tokenByAddress, type KnownToken } from '../domain/tokens.ts';
import type { Logger } from '../logger.ts';
import { queueStagedNotifications } from './notification-outbox.ts';

/** Where a deposit stands. */
export type DepositStatus = 'PENDING' | 'CREDITED' | 'REVERSED' | 'DROPPED';

/** How a deposit related to an invoice it named (Stellar memo) or resembled (EVM amount and token). */
export const INVOICE_OUTCOMES = [
  /** It settled the invoice. */
  'paid',
  /** The invoice had expired at the deposit's time. */
  'expired',
  'cancelled',
  /** Another payment settled the invoice first. */
  'already-paid',
  /** Another asset, another issuer, another chain or another token contract than the invoice asks for. */
  'wrong-asset',
  /** Less than the invoice's amount. */
  'short',
  /** The memo names an invoice payable to another address than the one paid. */
  'wrong-destination',
  /** EVM: a token contract the platform does not know (possibly a look-alike of a known symbol). */
  'unknown-token',
  /** Stellar: a MEMO_ID that names no invoice. */
  'no-invoice',
] as const;
export type InvoiceOutcome = (typeof INVOICE_OUTCOMES)[number];

/** A transfer into a platform wallet as a watcher saw it: {@link ObservedDeposit} plus when it happened. */
export interface DepositObservation extends ObservedDeposit {
  /**
   * Close time of its ledger, or its block's timestamp. An invoice is payable by this deposit if it
   * had not expired at this time, even when the deposit is recorded later (a re-sync after downtime).
   */
  occurredAt: Date;
  /**
   * Whether the owner is told about it once it is credited (default true). The Stellar watcher
   * records the `create_account` that activates a wallet from the treasury or friendbot quietly:
   * the activation job already tells the owner.
   */
  notify?: boolean;
}

/** A platform wallet an address belongs to. */
export interface DepositWallet {
  walletId: string;
  userId: bigint;
  /** The stored address (a Stellar `G…`, a checksummed EVM `0x…`). */
  address: string;
  status: WalletStatus;
}

/** A deposit row this call inserted or moved to a new status. */
export interface RecordedDeposit {
  id: string;
  eventKey: string;
  status: DepositStatus;
  /** Which recording of the event this is: 0, then one more each time a reorg has it recorded afresh. */
  revision: number;
  walletId: string;
  invoiceId: string | null;
  invoiceOutcome: InvoiceOutcome | null;
}

/** What {@link DepositSink.record} did. */
export interface RecordResult {
  /** Rows this call inserted, or recorded afresh after a reorg had dropped or reversed them. */
  recorded: RecordedDeposit[];
  /** Event keys already recorded (by this watcher before a restart, a re-sync, another worker). */
  alreadyRecorded: string[];
}

/** What {@link DepositSink.reverse} did. */
export interface ReverseResult {
  /** Credited deposits this call reversed (owner told; a paid invoice reopened). */
  reversed: RecordedDeposit[];
  /** Pending deposits this call dropped (never credited, nobody told). */
  dropped: RecordedDeposit[];
}

/** A watcher's persisted position: `stellar-payments` holds a Horizon paging token, EVM a block number. */
export interface WatcherCursorUpdate {
  name: string;
  value: string;
}

/** An invoice as the matcher sees it, read (and locked) inside the recording transaction. */
export interface InvoiceCandidate {
  id: string;
  payeeUserId: bigint;
  rail: 'STELLAR' | 'EVM' | 'STARS';
  chainId: number | null;
  assetCode: string;
  assetIssuer: string | null;
  amountBase: bigint;
  payeeAddress: string | null;
  memoId: bigint;
  status: 'OPEN' | 'PAID' | 'EXPIRED' | 'CANCELLED';
  expiresAt: Date;
  settlementRef: string | null;
  createdAt: Date;
}

/** A stored deposit with what matching needs; `occurredAt` is the recorded observation time. */
export type StoredDeposit = DepositObservation & RecordedDeposit;

/** The storage the sink runs on. Implemented by core/adapters/deposit-repository.ts. */
export interface DepositStore {
  /** Platform wallets of `chain` among `addresses` (exact stored form: `G…`, checksummed `0x…`). */
  findWallets(chain: ChainName, addresses: readonly string[]): Promise<DepositWallet[]>;
  /** {@link DepositTransaction.insert} as one statement of its own, for batches nothing else is done with. */
  insert(rows: readonly DepositObservation[], status: 'PENDING' | 'CREDITED'): Promise<StoredDeposit[]>;
  /** Runs `work` in one database transaction (retried as a whole on a deadlock or serialization failure). */
  transaction<T>(work: (tx: DepositTransaction) => Promise<T>): Promise<T>;
  /** Deletes outbox rows written by {@link DepositTransaction.stageNotifications} once their jobs are queued. */
  releaseNotifications(ids: readonly string[]): Promise<void>;
}

/** What the sink does inside one transaction. */
export interface DepositTransaction {
  /**
   * Inserts the rows (unique event keys, sorted) in one statement; an existing row is left alone
   * unless it was DROPPED or REVERSED, in which case it is recorded afresh with `status`. Returns
   * the rows inserted or recorded afresh.
   */
  insert(rows: readonly DepositObservation[], status: 'PENDING' | 'CREDITED'): Promise<StoredDeposit[]>;
  /** Moves the rows among `eventKeys` that are in `from` to `to`; returns the rows moved. */
  transition(eventKeys: readonly string[], from: DepositStatus, to: DepositStatus): Promise<StoredDeposit[]>;
  /** Invoices whose MEMO_ID is among `memoIds`, locked for update. */
  invoicesByMemo(memoIds: readonly bigint[]): Promise<InvoiceCandidate[]>;
  /**
   * The oldest OPEN EVM invoice payable at `at` to `payeeAddress` (any case) on `chainId` in exactly
   * `tokenAddress` (null: native) and `amount`, locked; invoices locked by another transaction are
   * skipped so that two equal payments settle two equal invoices.
   */
  evmInvoiceExact(input: EvmInvoiceQuery): Promise<InvoiceCandidate | null>;
  /**
   * EVM invoices to `payeeAddress` on `chainId` that explain a deposit that matched none: open ones
   * in the same asset or of the same amount, and ones closed (paid, expired, cancelled) with exactly
   * this asset and amount created since `since`. Newest first, at most 20.
   */
  evmInvoicesNear(input: EvmInvoiceQuery & { since: Date }): Promise<InvoiceCandidate[]>;
  /**
   * Marks the invoice PAID by `deposit` if it is still payable at `deposit.occurredAt` (OPEN, or
   * EXPIRED by the clock only after that time); true if this call settled it.
   */
  settle(invoiceId: string, deposit: StoredDeposit): Promise<boolean>;
  /** Reopens an invoice settled by `eventKey` (OPEN, or EXPIRED if past its expiry); true if it did. */
  reopen(invoiceId: string, eventKey: string): Promise<boolean>;
  /** Records each deposit's invoice and outcome. */
  setOutcomes(outcomes: readonly DepositOutcome[]): Promise<void>;
  /** Moves a watcher cursor forward (never back), in this transaction. */
  advanceCursor(cursor: WatcherCursorUpdate): Promise<void>;
  /** Writes the notifications to the outbox in this transaction; `null` when there are none. */
  stageNotifications(payloads: readonly Notification[]): Promise<StagedNotifications | null>;
}

/** The invoice a deposit was matched against and how. */
export interface DepositOutcome {
  depositId: string;
  invoiceId: string | null;
  outcome: InvoiceOutcome;
}

/** The query of an EVM invoice by what the payment looks like. */
export interface EvmInvoiceQuery {
  chainId: number;
  payeeAddress: string;
  tokenAddress: string | null;
  assetCode: string;
  amount: bigint;
  at: Date;
}

/** Dependencies of {@link createDepositSink}. */
export interface DepositSinkDeps {
  store: DepositStore;
  jobs: Pick<JobProducer, 'notify'>;
  /** ERC-20 tokens the platform knows (config EVM_TOKENS); any other contract is `unknown-token`. */
  knownTokens: readonly KnownToken[];
  logger: Logger;
  /** How often queueing a batch's notifications is tried before the sweeper is left to it. Default 3. */
  notifyAttempts?: number;
  /** Pause between those tries, doubled each time. Default 200 ms. */
  notifyRetryMs?: number;
}

/** The deposit sink; see the module comment. */
export interface DepositSink {
  /**
   * The platform wallets among `addresses`, keyed by the address exactly as given. A Stellar muxed
   * `M…` address resolves to its base `G…` account's wallet; EVM addresses match in any case.
   * Unknown and malformed addresses are simply absent.
   */
  resolveWallets(chain: ChainName, addresses: readonly string[]): Promise<Map<string, DepositWallet>>;
  /**
   * Records observed deposits in one batched statement (duplicates by `eventKey` within the batch
   * are recorded once). Every CREDITED row this call inserted is matched against invoices and its
   * owner notified; PENDING rows wait for {@link credit}. `cursor`, when given, is advanced in the
   * same transaction, so a watcher's position never runs ahead of what it recorded.
   */
  record(
    deposits: readonly DepositObservation[],
    options: { status: 'PENDING' | 'CREDITED'; cursor?: WatcherCursorUpdate },
  ): Promise<RecordResult>;
  /** PENDING → CREDITED for these event keys (others are ignored): matched, settled, notified once. */
  credit(eventKeys: readonly string[]): Promise<RecordedDeposit[]>;
  /** After a reorg: CREDITED → REVERSED (owner told, paid invoice reopened), PENDING → DROPPED. */
  reverse(eventKeys: readonly string[]): Promise<ReverseResult>;
}

/**
 * How far back a closed EVM invoice still explains a payment of exactly its amount and token
 * ("invoice had expired", "already paid"); older ones are too likely to be a coincidence.
 */
const EVM_CLOSED_INVOICE_LOOKBACK_MS = 7 * 24 * 3600 * 1000;

/** The sink on a {@link DepositStore}. */
export function createDepositSink(deps: DepositSinkDeps): DepositSink {
  /** Matches every deposit against invoices inside `tx`; returns each outcome (null: no invoice involved). */
  const matchAll = async (tx: DepositTransaction, deposits: StoredDeposit[]) => {
    const outcomes: DepositOutcome[] = [];
    const stellarMemos = deposits.flatMap((deposit) => {
      const memoId = deposit.chain === 'STELLAR' ? memoIdOf(deposit) : null;
      return memoId === null ? [] : [memoId];
    });
    const invoices = new Map<bigint, InvoiceCandidate>();
    if (stellarMemos.length > 0) {
      for (const invoice of await tx.invoicesByMemo([...new Set(stellarMemos)]))
        invoices.set(invoice.memoId, invoice);
    }
    for (const deposit of deposits) {
      const matched =
        deposit.chain === 'STELLAR'
          ? await matchStellar(tx, deposit, invoices)
          : await matchEvm(tx, deposit, deps.knownTokens);
      if (matched) outcomes.push({ depositId: deposit.id, ...matched });
    }
    if (outcomes.length > 0) await tx.setOutcomes(outcomes);
    const byDeposit = new Map(outcomes.map((outcome) => [outcome.depositId, outcome]));
    return deposits.map((deposit) => {
      const outcome = byDeposit.get(deposit.id);
      return {
        ...deposit,
        invoiceId: outcome?.invoiceId ?? null,
        invoiceOutcome: outcome?.outcome ?? null,
      };
    });
  };

  /** Queues what a committed transaction staged; the outbox keeps it if the queue is down. */
  const deliver = async (staged: StagedNotifications | null) => {
    if (!staged) return;
    await queueStagedNotifications(staged, {
      jobs: deps.jobs,
      outbox: { release: (ids) => deps.store.releaseNotifications(ids) },
      logger: deps.logger,
      attempts: deps.notifyAttempts,
      retryMs: deps.notifyRetryMs,
    });
  };

  return {
    async resolveWallets(chain, addresses) {
      const stored = new Map<string, string[]>();
      for (const address of new Set(addresses)) {
        const key = storedAddressOf(chain, address);
        if (key === null) continue;
        const list = stored.get(key) ?? [];
        list.push(address);
        stored.set(key, list);
      }
      const result = new Map<string, DepositWallet>();
      if (stored.size === 0) return result;
      for (const wallet of await deps.store.findWallets(chain, [...stored.keys()])) {
        for (const given of stored.get(wallet.address) ?? []) result.set(given, wallet);
      }
      return result;
    },

    async record(deposits, options) {
      const unique = uniqueByEventKey(deposits);
      const quiet = new Set(unique.filter((deposit) => deposit.notify === false).map((d) => d.eventKey));
      const crediting = options.status === 'CREDITED';
      const matching = crediting && unique.some(mayPayInvoice);
      const announcing = crediting && quiet.size < unique.length;
      // A batch that only records (pending EVM transfers, quiet activations) takes one autocommitted
      // statement; anything that settles, moves the cursor or announces commits it all together.
      const { recorded, staged } =
        !matching && !announcing && !options.cursor
          ? {
              recorded: unique.length > 0 ? await deps.store.insert(unique, options.status) : [],
              staged: null,
            }
          : await deps.store.transaction(async (tx) => {
              const inserted = unique.length > 0 ? await tx.insert(unique, options.status) : [];
              const settled = matching ? await matchAll(tx, inserted) : inserted;
              if (options.cursor) await tx.advanceCursor(options.cursor);
              const announced = crediting ? settled.filter((deposit) => !quiet.has(deposit.eventKey)) : [];
              return {
                recorded: settled,
                staged: await tx.stageNotifications(announced.map(creditNotification)),
              };
            });
      await deliver(staged);
      const fresh = new Set(recorded.map((deposit) => deposit.eventKey));
      return {
        recorded: recorded.map(toRecorded),
        alreadyRecorded: unique.map((deposit) => deposit.eventKey).filter((key) => !fresh.has(key)),
      };
    },

    async credit(eventKeys) {
      if (eventKeys.length === 0) return [];
      const { credited, staged } = await deps.store.transaction(async (tx) => {
        const moved = await matchAll(tx, await tx.transition(uniqueSorted(eventKeys), 'PENDING', 'CREDITED'));
        // Quiet deposits are an activation detail of Stellar; EVM deposits are always announced.
        return { credited: moved, staged: await tx.stageNotifications(moved.map(creditNotification)) };
      });
      await deliver(staged);
      return credited.map(toRecorded);
    },

    async reverse(eventKeys) {
      if (eventKeys.length === 0) return { reversed: [], dropped: [] };
      const keys = uniqueSorted(eventKeys);
      const { reversed, dropped, staged } = await deps.store.transaction(async (tx) => {
        const reversedRows = await tx.transition(keys, 'CREDITED', 'REVERSED');
        for (const deposit of reversedRows) {
          if (deposit.invoiceOutcome === 'paid' && deposit.invoiceId)
            await tx.reopen(deposit.invoiceId, deposit.eventKey);
        }
        return {
          reversed: reversedRows,
          dropped: await tx.transition(keys, 'PENDING', 'DROPPED'),
          staged: await tx.stageNotifications(
            reversedRows.map((deposit): Notification => ({
              kind: 'deposit-reversed',
              depositId: deposit.id,
              revision: deposit.revision,
            })),
          ),
        };
      });
      await deliver(staged);
      return { reversed: reversed.map(toRecorded), dropped: dropped.map(toRecorded) };
    },
  };
}

/** What the owner is told of a credited deposit: the invoice it paid, or the deposit itself. */
function creditNotification(deposit: RecordedDeposit): Notification {
  if (deposit.invoiceOutcome === 'paid' && deposit.invoiceId)
    return {
      kind: 'invoice-paid',
      invoiceId: deposit.invoiceId,
      deposit: { id: deposit.id, revision: deposit.revision },
    };
  return { kind: 'deposit-received', depositId: deposit.id, revision: deposit.revision };
}

async function matchStellar(
  tx: DepositTransaction,
  deposit: StoredDeposit,
  invoices: Map<bigint, InvoiceCandidate>,
): Promise<Omit<DepositOutcome, 'depositId'> | null> {
  const memoId = memoIdOf(deposit);
  if (memoId === null) return null;
  const invoice = invoices.get(memoId);
  if (!invoice) return { invoiceId: null, outcome: 'no-invoice' };
  const verdict = judgeStellarPayment(deposit, invoice);
  if (verdict !== 'settle') return { invoiceId: invoice.id, outcome: verdict };
  if (await tx.settle(invoice.id, deposit)) {
    // A second payment of the same invoice in this batch must see it paid.
    invoices.set(memoId, { ...invoice, status: 'PAID', settlementRef: deposit.eventKey });
    return { invoiceId: invoice.id, outcome: 'paid' };
  }
  // The row was locked and read in this transaction, so this is only reachable through a clock
  // edge; report what the invoice says now.
  return { invoiceId: invoice.id, outcome: invoice.status === 'PAID' ? 'already-paid' : 'expired' };
}

async function matchEvm(
  tx: DepositTransaction,
  deposit: StoredDeposit,
  knownTokens: readonly KnownToken[],
): Promise<Omit<DepositOutcome, 'depositId'> | null> {
  if (deposit.chainId === null) return null;
  const query: EvmInvoiceQuery = {
    chainId: deposit.chainId,
    payeeAddress: deposit.toAddress,
    tokenAddress: deposit.assetIssuer,
    assetCode: deposit.assetCode,
    amount: deposit.amountBase,
    at: deposit.occurredAt,
  };
  if (deposit.assetIssuer !== null && !tokenByAddress(knownTokens, deposit.assetIssuer)) {
    // Anyone can deploy a contract called "USDC": a look-alike never pays an invoice. Point at the
    // invoice it imitates, if there is one, so the payee sees what happened.
    const near = await tx.evmInvoicesNear({ ...query, since: new Date(0) });
    const imitated = near.find(
      (invoice) =>
        invoice.status === 'OPEN' &&
        invoice.amountBase === deposit.amountBase &&
        invoice.assetCode.toUpperCase() === deposit.assetCode.toUpperCase(),
    );
    return { invoiceId: imitated?.id ?? null, outcome: 'unknown-token' };
  }
  const exact = await tx.evmInvoiceExact(query);
  if (exact && (await tx.settle(exact.id, deposit))) return { invoiceId: exact.id, outcome: 'paid' };
  const near = await tx.evmInvoicesNear({
    ...query,
    since: new Date(deposit.occurredAt.getTime() - EVM_CLOSED_INVOICE_LOOKBACK_MS),
  });
  const explained = explainEvmPayment(deposit, near);
  return explained ? { invoiceId: explained.invoice.id, outcome: explained.outcome } : null;
}

/**
 * What a Stellar payment naming `invoice` by its memo does to it: `settle` if it pays it, else why
 * not. Refusals that hold whatever was sent (closed invoice, wrong payee) come before the checks
 * of what was sent (asset, amount). Paying more than asked settles the invoice.
 */
export function judgeStellarPayment(
  deposit: Pick<
    DepositObservation,
    'toAddress' | 'assetCode' | 'assetIssuer' | 'amountBase' | 'occurredAt' | 'eventKey'
  >,
  invoice: InvoiceCandidate,
): InvoiceOutcome | 'settle' {
  if (invoice.payeeAddress !== null && invoice.payeeAddress !== deposit.toAddress) return 'wrong-destination';
  if (invoice.status === 'PAID') return invoice.settlementRef === deposit.eventKey ? 'paid' : 'already-paid';
  if (invoice.status === 'CANCELLED') return 'cancelled';
  if (invoice.expiresAt.getTime() <= deposit.occurredAt.getTime()) return 'expired';
  if (invoice.rail !== 'STELLAR' || !sameStellarAsset(deposit, invoice)) return 'wrong-asset';
  if (deposit.amountBase < invoice.amountBase) return 'short';
  return 'settle';
}

/**
 * Why an EVM payment that matched no open invoice exactly is still about one (or `null`: a plain
 * deposit). In order: the same token but too little for an open invoice (`short`: the smallest
 * such invoice it falls short of); the exact amount of an open invoice in another asset
 * (`wrong-asset`); exactly the token and amount of a recently closed invoice (its closure).
 */
export function explainEvmPayment(
  deposit: Pick<DepositObservation, 'assetIssuer' | 'amountBase' | 'occurredAt'>,
  invoices: readonly InvoiceCandidate[],
): { invoice: InvoiceCandidate; outcome: InvoiceOutcome } | null {
  const sameToken = (invoice: InvoiceCandidate) =>
    (invoice.assetIssuer?.toLowerCase() ?? null) === (deposit.assetIssuer?.toLowerCase() ?? null);
  const payable = (invoice: InvoiceCandidate) =>
    invoice.status === 'OPEN' && invoice.expiresAt.getTime() > deposit.occurredAt.getTime();
  const short = invoices
    .filter((invoice) => payable(invoice) && sameToken(invoice) && invoice.amountBase > deposit.amountBase)
    .sort((a, b) => (a.amountBase < b.amountBase ? -1 : a.amountBase > b.amountBase ? 1 : 0))[0];
  if (short) return { invoice: short, outcome: 'short' };
  const otherAsset = invoices.find(
    (invoice) => payable(invoice) && !sameToken(invoice) && invoice.amountBase === deposit.amountBase,
  );
  if (otherAsset) return { invoice: otherAsset, outcome: 'wrong-asset' };
  const closed = invoices.find(
    (invoice) => !payable(invoice) && sameToken(invoice) && invoice.amountBase === deposit.amountBase,
  );
  if (!closed) return null;
  const outcome: InvoiceOutcome =
    closed.status === 'PAID' ? 'already-paid' : closed.status === 'CANCELLED' ? 'cancelled' : 'expired';
  return { invoice: closed, outcome };
}

function sameStellarAsset(
  deposit: Pick<DepositObservation, 'assetCode' | 'assetIssuer'>,
  invoice: InvoiceCandidate,
): boolean {
  // Lumens are XLM with no issuer; any other asset is its code AND its issuer.
  return deposit.assetCode === invoice.assetCode && deposit.assetIssuer === invoice.assetIssuer;
}

/** Whether matching could find an invoice for it: a Stellar MEMO_ID, or any EVM transfer. */
function mayPayInvoice(deposit: DepositObservation): boolean {
  return deposit.chain === 'EVM' || memoIdOf(deposit) !== null;
}

/** The invoice memo of a Stellar deposit: its MEMO_ID, if it has one. */
function memoIdOf(deposit: Pick<DepositObservation, 'memoType' | 'memo'>): bigint | null {
  if (deposit.memoType !== 'id' || deposit.memo === null || !/^\d{1,20}$/.test(deposit.memo)) return null;
  const value = BigInt(deposit.memo);
  // memo_id is a BIGSERIAL: a MEMO_ID above int64 names no invoice.
  return value <= 2n ** 63n - 1n ? value : null;
}

/** The form an address is stored in: a muxed Stellar account's base `G…`, a checksummed EVM address. */
export function storedAddressOf(chain: ChainName, address: string): string | null {
  if (chain === 'EVM') return isAddress(address) ? getAddress(address) : null;
  if (StrKey.isValidEd25519PublicKey(address)) return address;
  if (StrKey.isValidMed25519PublicKey(address))
    return MuxedAccount.fromAddress(address, '0').baseAccount().accountId();
  return null;
}

function uniqueByEventKey(deposits: readonly DepositObservation[]): DepositObservation[] {
  const seen = new Map<string, DepositObservation>();
  for (const deposit of deposits) if (!seen.has(deposit.eventKey)) seen.set(deposit.eventKey, deposit);
  // One order for every caller: concurrent batches lock the same keys in the same order.
  return [...seen.values()].sort((a, b) => (a.eventKey < b.eventKey ? -1 : a.eventKey > b.eventKey ? 1 : 0));
}

function uniqueSorted(keys: readonly string[]): string[] {
  return [...new Set(keys)].sort();
}

function toRecorded(deposit: RecordedDeposit): RecordedDeposit {
  return {
    id: deposit.id,
    eventKey: deposit.eventKey,
    status: deposit.status,
    revision: deposit.revision,
    walletId: deposit.walletId,
    invoiceId: deposit.invoiceId,
    invoiceOutcome: deposit.invoiceOutcome,
  };
}
