/**
 * Incoming Stellar payments: the live watcher (a Horizon payments stream from a persisted cursor)
 * and the re-sync of a ledger range. Both feed the same deposit sink, which is unique on the
 * operation id, so they can run at the same time, be repeated, or crash anywhere: each payment is
 * recorded, credited and announced once.
 *
 * The cursor (`watcher_cursors`, name {@link STELLAR_CURSOR_NAME}) is a Horizon paging token. It is
 * stored only after the deposits up to it are committed, so it never runs ahead of what is
 * recorded: after a crash the watcher re-reads from the last stored token and the unique key drops
 * what it had already recorded. It is written in the background at most every `cursorIntervalMs`
 * and on stop, since re-reading a second of payments costs nothing.
 *
 * First start (no cursor): the watcher starts after the latest closed ledger ("now") and stores
 * that position at once, so a restart never skips what arrived in between. Payments made before
 * the first start are not picked up; `npm run resync` covers them.
 *
 * One stream for all worker processes: only the process holding the watcher's leader lock streams
 * (it would be safe for all to, but each stream costs Horizon requests and database work). The
 * others try to take the lock every `leaderRetryMs`; when the leader stops (storing its cursor
 * first) or its hold ends (it died, or its lock connection failed: it stops streaming at once),
 * one of them takes over from the stored cursor. A former leader's batch still in flight and the
 * new leader's re-read of the last interval meet at the unique key, so nothing is recorded or
 * announced twice.
 */
import type { Logger } from '../logger.ts';
import { stellarDepositKey } from '../domain/intent-keys.ts';
import type { DepositObservation, DepositSink, DepositWallet } from './deposits.ts';
import { createSoleLeaderLock, type LeaderLock } from './leadership.ts';

/** The cursor name of the live Stellar watcher in `watcher_cursors`. */
export const STELLAR_CURSOR_NAME = 'stellar-payments';

/** A Stellar memo as Horizon shows it: text as UTF-8, id in decimal, hash and return in base64. */
export type StellarMemo = { type: 'none' } | { type: 'text' | 'id' | 'hash' | 'return'; value: string };

/** A value-moving operation from Horizon's payments endpoints; the amount is what the destination got. */
export interface StellarPayment {
  /** Horizon's operation id (a TOID), unique on its network. */
  id: string;
  ledger: number;
  kind: 'payment' | 'create_account' | 'path_payment_strict_receive' | 'path_payment_strict_send';
  transactionHash: string;
  /** Close time of the ledger. */
  createdAt: Date;
  /** The sender's `G…` account (the funder of a `create_account`). */
  from: string;
  /** The destination's base `G…` account (for a muxed destination, the account credited). */
  to: string;
  /** The muxed `M…` destination and its id, when the payment went to one. */
  toMuxed: string | null;
  toMuxedId: string | null;
  /** `XLM` with issuer `null` for lumens. */
  assetCode: string;
  assetIssuer: string | null;
  /** Stroops (7 decimals), also for issued assets. */
  amount: bigint;
  /** `null` when the record came without its transaction (no `join=transactions`). */
  memo: StellarMemo | null;
}

/**
 * One record of the payments endpoints: its paging token, and the payment if it is one a wallet
 * can be credited with (`null` for failed transactions, account merges, contract calls).
 */
export interface PaymentFeedItem {
  pagingToken: string;
  ledger: number;
  payment: StellarPayment | null;
}

/** Options of {@link StellarPaymentFeed.stream}. */
export interface PaymentStreamOptions {
  /** Ends the stream (the iterator returns) when aborted. */
  signal: AbortSignal;
  /** Told about each failed connection before the stream reconnects from the last paging token. */
  onError?: (error: unknown) => void;
  /** Most records in one batch. */
  maxBatch?: number;
}

/** Horizon's payments, as the watcher and the re-sync read them. Implemented in core/adapters/stellar-horizon.ts. */
export interface StellarPaymentFeed {
  /** The latest closed ledger and the oldest one Horizon still holds. */
  ledgerBounds(): Promise<{ latest: number; oldest: number }>;
  /** Every payment record of ledgers `from`..`to` (inclusive), page by page, ascending. */
  range(from: number, to: number): AsyncIterable<PaymentFeedItem[]>;
  /**
   * Live payment records after `cursor` (a paging token), in batches of what has arrived: never
   * ends on its own; after an error or a server goodbye it reconnects from the last paging token.
   */
  stream(cursor: string, options: PaymentStreamOptions): AsyncIterable<PaymentFeedItem[]>;
}

/** The cursor just after every operation of `ledger` (what Horizon's `cursor=now` means). */
export function cursorAfterLedger(ledger: number): string {
  return ((BigInt(ledger + 1) << 32n) - 1n).toString();
}

/** The cursor just before every operation of `ledger`. */
export function cursorBeforeLedger(ledger: number): string {
  return (BigInt(ledger) << 32n).toString();
}

/** The ledger of a paging token of the operations endpoints (a TOID: ledger << 32 | ...). */
export function ledgerOfPagingToken(token: string): number {
  return Number(BigInt(token) >> 32n);
}

/** Counts of one ingested batch or range. */
export interface IngestCounts {
  /** Payment records read (any account, failed ones included). */
  records: number;
  /** Payments into platform wallets. */
  seen: number;
  /** Of those, recorded now. */
  recorded: number;
  /** Of those, already recorded before (a restart, the live watcher, an earlier re-sync). */
  alreadyRecorded: number;
}

/** What a batch needs to be recorded. */
export interface StellarIngestDeps {
  sink: DepositSink;
}

/**
 * The deposits in `payments`: payments into platform wallets (a muxed destination counts for its
 * base account). A `create_account` is a deposit of its starting balance; it is announced only
 * when the funder is a platform user, since otherwise it is the wallet's own activation (treasury
 * or friendbot), which the activation job announces.
 */
export function depositsOf(
  payments: readonly StellarPayment[],
  wallets: ReadonlyMap<string, DepositWallet>,
): DepositObservation[] {
  const deposits: DepositObservation[] = [];
  for (const payment of payments) {
    const wallet = wallets.get(payment.to);
    if (!wallet) continue;
    const memo = payment.memo && payment.memo.type !== 'none' ? payment.memo : null;
    deposits.push({
      eventKey: stellarDepositKey(payment.id),
      chain: 'STELLAR',
      chainId: null,
      walletId: wallet.walletId,
      fromAddress: payment.from,
      toAddress: payment.to,
      assetCode: payment.assetCode,
      assetIssuer: payment.assetIssuer,
      amountBase: payment.amount,
      memoType: memo?.type ?? null,
      memo: memo?.value ?? null,
      txHash: payment.transactionHash,
      height: BigInt(payment.ledger),
      blockHash: null,
      occurredAt: payment.createdAt,
      notify: payment.kind !== 'create_account' || wallets.has(payment.from),
    });
  }
  return deposits;
}

/** Records the deposits among `items` through the sink; returns the counts. */
export async function ingestStellarPayments(
  items: readonly PaymentFeedItem[],
  deps: StellarIngestDeps,
): Promise<IngestCounts> {
  const payments = items.flatMap((item) => (item.payment ? [item.payment] : []));
  // Funders matter only for account creations (see depositsOf).
  const addresses = [
    ...new Set(
      payments.flatMap((payment) =>
        payment.kind === 'create_account' ? [payment.to, payment.from] : [payment.to],
      ),
    ),
  ];
  const wallets = addresses.length > 0 ? await deps.sink.resolveWallets('STELLAR', addresses) : new Map();
  const deposits = depositsOf(payments, wallets);
  if (deposits.length === 0) return { records: items.length, seen: 0, recorded: 0, alreadyRecorded: 0 };
  const result = await deps.sink.record(deposits, { status: 'CREDITED' });
  // A payment listed twice in one batch is one event, recorded once: the second sighting counts
  // as already recorded, so that seen = recorded + already recorded.
  return {
    records: items.length,
    seen: deposits.length,
    recorded: result.recorded.length,
    alreadyRecorded: deposits.length - result.recorded.length,
  };
}

/** Dependencies of {@link createStellarWatcher}. */
export interface StellarWatcherDeps {
  feed: StellarPaymentFeed;
  sink: DepositSink;
  cursors: {
    get(name: string): Promise<string | null>;
    advance(cursor: { name: string; value: string }): Promise<void>;
  };
  /**
   * Leadership among worker processes (named {@link STELLAR_CURSOR_NAME}): only the leader streams.
   * Without one this process leads alone: for benchmarks and tests, never for the worker.
   */
  lock?: LeaderLock;
  logger: Logger;
  /**
   * Pause between attempts to take the lead while another process has it (default 1000 ms); a
   * process that lost its lead waits twice as long before it competes again.
   */
  leaderRetryMs?: number;
  /** Most records per batch (default 500). */
  maxBatch?: number;
  /** Least time between two writes of the cursor (default 1000 ms); it is also written on stop. */
  cursorIntervalMs?: number;
  /**
   * First pause after a failed batch or a failed attempt to lead, doubled up to `maxRetryDelayMs`
   * (defaults 200 ms, 10 s).
   */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/** A running watcher. */
export interface StellarWatcher {
  /**
   * Joins the election and resolves once this process either leads (the cursor is known and the
   * stream is being read) or knows that another process leads (it keeps trying to take over in the
   * background). Rejects if this first attempt fails (lock or cursor unreachable).
   */
  start(): Promise<void>;
  /** Stops reading, lets the batch in hand finish, stores the cursor and gives the lead up. */
  stop(): Promise<void>;
  /** The paging token of the last record handled (null before this process first led). */
  position(): string | null;
  /** Whether this process is the one streaming payments now. */
  leading(): boolean;
}

/** A term as leader and the cursor it starts streaming from. */
interface Lead {
  signal: AbortSignal;
  cursor: string;
}

/** The live watcher; see the module comment. */
export function createStellarWatcher(deps: StellarWatcherDeps): StellarWatcher {
  const log = deps.logger.child({ watcher: STELLAR_CURSOR_NAME });
  const lock = deps.lock ?? createSoleLeaderLock(STELLAR_CURSOR_NAME);
  const cursorInterval = deps.cursorIntervalMs ?? 1000;
  const leaderRetry = deps.leaderRetryMs ?? 1000;
  const firstRetry = deps.retryDelayMs ?? 200;
  const maxRetry = deps.maxRetryDelayMs ?? 10_000;
  const backoff = (failures: number) => Math.min(firstRetry * 2 ** Math.max(0, failures - 1), maxRetry);
  let controller: AbortController | null = null;
  let starting: Promise<void> | null = null;
  let loop: Promise<void> | null = null;
  /** The term this process streams under; null while following or between terms. */
  let term: AbortSignal | null = null;
  let position: string | null = null;
  let stored: string | null = null;
  let storedAt = 0;
  let writing: Promise<void> | null = null;
  let flushTimer: NodeJS.Timeout | undefined;

  /**
   * Stores the position in the background while leading, at most once per interval: it only ever
   * names records whose deposits are committed, and off the batch loop it adds no latency to the
   * next batch. A stale cursor only means re-reading up to one interval after a crash or a change
   * of leader, which the unique key makes harmless.
   */
  const storeCursorSoon = () => {
    if (term === null || writing || position === null || position === stored) return;
    const wait = storedAt + cursorInterval - Date.now();
    if (wait > 0) {
      flushTimer ??= setTimeout(() => {
        flushTimer = undefined;
        storeCursorSoon();
      }, wait);
      flushTimer.unref();
      return;
    }
    const value = position;
    writing = deps.cursors
      .advance({ name: STELLAR_CURSOR_NAME, value })
      .then(
        () => {
          stored = value;
          storedAt = Date.now();
        },
        (error: unknown) => {
          // Try again after an interval, not at once: the database may be down for a while.
          storedAt = Date.now();
          log.warn({ err: error }, 'could not store the payments cursor; will retry');
        },
      )
      .finally(() => {
        writing = null;
        storeCursorSoon();
      });
  };

  /**
   * Writes the last position once streaming has ended (background writes stop with the term). The
   * cursor never moves back, so a former leader writing late cannot undo its successor's progress.
   */
  const storeCursorNow = async () => {
    clearTimeout(flushTimer);
    flushTimer = undefined;
    await writing;
    if (position === null || position === stored) return;
    await deps.cursors.advance({ name: STELLAR_CURSOR_NAME, value: position }).then(
      () => void (stored = position),
      (error: unknown) =>
        log.warn({ err: error }, 'could not store the cursor; the next leader re-reads from the last one'),
    );
  };

  /** Records one batch, retrying until it is recorded or the watcher stops; false if it gave up. */
  const handle = async (items: PaymentFeedItem[], signal: AbortSignal): Promise<boolean> => {
    for (let attempt = 0; ; attempt++) {
      try {
        if (items.some((item) => item.payment !== null)) {
          const counts = await ingestStellarPayments(items, deps);
          if (counts.seen > 0)
            log.debug({ ...counts, cursor: items.at(-1)!.pagingToken }, 'payments recorded');
        }
        position = items.at(-1)!.pagingToken;
        storeCursorSoon();
        return true;
      } catch (error) {
        const delay = backoff(attempt + 1);
        log.error({ err: error, attempt: attempt + 1, retryInMs: delay }, 'could not record payments');
        if (signal.aborted) return false;
        await sleep(delay, signal);
        if (signal.aborted) return false;
      }
    }
  };

  const run = async (cursor: string, signal: AbortSignal) => {
    const stream = deps.feed.stream(cursor, {
      signal,
      maxBatch: deps.maxBatch ?? 500,
      onError: (error) => log.warn({ err: error, cursor: position }, 'payments stream failed; reconnecting'),
    });
    for await (const items of stream) {
      // The lead was lost while this batch was on its way: it is the next leader's to record.
      if (signal.aborted) break;
      if (items.length === 0) continue;
      if (!(await handle(items, signal))) break;
    }
  };

  /** The stored cursor; on the very first start, "now", stored at once. */
  const startingCursor = async (): Promise<string> => {
    const cursor = await deps.cursors.get(STELLAR_CURSOR_NAME);
    if (cursor !== null) return cursor;
    const { latest } = await deps.feed.ledgerBounds();
    const now = cursorAfterLedger(latest);
    await deps.cursors.advance({ name: STELLAR_CURSOR_NAME, value: now });
    log.info(
      { ledger: latest, cursor: now },
      'no stored cursor: watching payments from the latest ledger on',
    );
    return now;
  };

  /** This process's lead and where to stream from, or null while another process leads. */
  const elect = async (): Promise<Lead | null> => {
    const signal = await lock.lead();
    // The cursor is read after the lock is taken: a former leader stores its last one before it
    // lets go, or died and left a stale one that the unique key makes safe to re-read.
    return signal ? { signal, cursor: await startingCursor() } : null;
  };

  /** Streams until the term ends or the watcher stops, then stores the cursor. */
  const lead = async ({ signal, cursor }: Lead, stop: AbortSignal) => {
    position = stored = cursor;
    storedAt = Date.now();
    term = signal;
    log.info({ cursor }, 'leading: streaming payments');
    try {
      await run(cursor, AbortSignal.any([stop, signal]));
    } catch (error) {
      log.error({ err: error, cursor: position }, 'payments stream broke');
    } finally {
      term = null;
      await storeCursorNow();
    }
    if (signal.aborted && !stop.aborted)
      log.info({ cursor: position }, 'lost the lead: stopped streaming payments');
  };

  /** Leads whenever this process holds the lock, and tries to take it while another one does. */
  const campaign = async (stop: AbortSignal, first: Lead | null) => {
    let next = first;
    let failures = 0;
    while (!stop.aborted) {
      try {
        next ??= await elect();
      } catch (error) {
        const delay = backoff(++failures);
        log.warn({ err: error, retryInMs: delay }, 'could not take part in the leader election; retrying');
        await sleep(delay, stop);
        continue;
      }
      if (next === null) {
        failures = 0;
        await sleep(leaderRetry, stop);
        continue;
      }
      const current = next;
      next = null;
      await lead(current, stop);
      if (stop.aborted) break;
      if (current.signal.aborted) {
        failures = 0;
        // The failure may be this process's: it waits longer than a follower between attempts, so
        // that a healthy process takes over first.
        await sleep(2 * leaderRetry, stop);
        continue;
      }
      // The stream ended under a live lead (it never should): start again from the stored cursor.
      const delay = backoff(++failures);
      log.error({ retryInMs: delay }, 'payments stream ended while leading; restarting it');
      await sleep(delay, stop);
    }
  };

  return {
    async start() {
      if (loop) return;
      if (starting) return starting;
      starting = (async () => {
        let first: Lead | null;
        try {
          first = await elect();
        } catch (error) {
          await lock.release();
          throw error;
        }
        controller = new AbortController();
        loop = campaign(controller.signal, first).catch((error: unknown) => {
          log.fatal({ err: error }, 'payments watcher stopped unexpectedly');
        });
        if (first) log.info({ cursor: first.cursor }, 'payments watcher started; leading');
        else log.info('payments watcher started; another process leads, waiting to take over');
      })().finally(() => {
        starting = null;
      });
      return starting;
    },

    async stop() {
      await starting?.catch(() => undefined);
      if (!controller || !loop) return;
      controller.abort();
      await loop;
      await lock.release();
      controller = null;
      loop = null;
      log.info({ cursor: position }, 'payments watcher stopped');
    },

    position: () => position,

    leading: () => term !== null && !term.aborted,
  };
}

/** Dependencies of {@link resyncStellarLedgers}. */
export interface StellarResyncDeps {
  feed: StellarPaymentFeed;
  sink: DepositSink;
  logger: Logger;
}

/** How {@link resyncStellarLedgers} batches its writes. */
export interface StellarResyncOptions {
  /** Payment records gathered from consecutive pages before they are recorded (default 2000). */
  batchSize?: number;
  /** Batches being recorded at once while the next pages are read (default 2). */
  inFlight?: number;
}

/** The requested range lies outside what Horizon holds. */
export class LedgerRangeError extends Error {
  readonly code = 'LEDGER_RANGE_INVALID';

  constructor(
    message: string,
    readonly fields: { from: number; to: number; oldest: number; latest: number },
  ) {
    super(message);
    this.name = 'LedgerRangeError';
  }
}

/**
 * Records every deposit of ledgers `from`..`to` into platform wallets through the same sink as the
 * live watcher: idempotent, and safe to run while the watcher runs. Pages are gathered into
 * batches, and a few batches are recorded at once while the next pages are read; the batches are
 * disjoint and each is written in event-key order, so they never wait on each other. Does not
 * touch the watcher's cursor.
 */
export async function resyncStellarLedgers(
  range: { from: number; to: number },
  deps: StellarResyncDeps,
  options: StellarResyncOptions = {},
): Promise<IngestCounts> {
  const batchSize = options.batchSize ?? 2000;
  const maxInFlight = options.inFlight ?? 2;
  const { latest, oldest } = await deps.feed.ledgerBounds();
  if (range.from < oldest || range.to > latest) {
    throw new LedgerRangeError(
      `ledgers ${range.from}-${range.to} are not all on this Horizon (it holds ${oldest}-${latest})`,
      { ...range, oldest, latest },
    );
  }
  const total: IngestCounts = { records: 0, seen: 0, recorded: 0, alreadyRecorded: 0 };
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const record = (items: PaymentFeedItem[]) => {
    const done: Promise<void> = ingestStellarPayments(items, deps)
      .then((counts) => {
        total.records += counts.records;
        total.seen += counts.seen;
        total.recorded += counts.recorded;
        total.alreadyRecorded += counts.alreadyRecorded;
      })
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  let pending: PaymentFeedItem[] = [];
  try {
    for await (const page of deps.feed.range(range.from, range.to)) {
      pending.push(...page);
      if (pending.length < batchSize) continue;
      record(pending);
      pending = [];
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      if (failure) break;
    }
    if (!failure && pending.length > 0) record(pending);
  } finally {
    // Never return (or throw a read error) while batches are still being written.
    await Promise.all(inFlight);
  }
  if (failure) throw failure.error;
  deps.logger.info({ ...range, ...total }, 'ledgers re-synced');
  return total;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
