/**
 * Finds transfers into platform wallets on an EVM chain and hands them to the deposit sink: native
 * value transfers (successful transactions whose `to` is a wallet) and ERC-20 `Transfer` logs whose
 * recipient is a wallet, from any contract, so that look-alike tokens are seen and reported too.
 *
 * A transfer is recorded PENDING as soon as its block is seen and credited once its block has
 * `confirmations` blocks on top. The hashes of processed blocks are kept; a block whose parent is
 * not the block we processed at that height means a reorg: the watcher walks back to the common
 * ancestor, takes back what it recorded on the abandoned branch (a pending transfer is dropped, a
 * credited one reversed and its owner told) and scans the new branch. A transfer re-mined in the new
 * branch has the same event key and comes back under its new block.
 *
 * Everything it writes is keyed by the chain's own identity of the event (`evmDepositKey`), so the
 * live watcher, a restarted watcher and any number of re-syncs ({@link resyncEvmBlocks}) record and
 * credit each transfer once.
 *
 * First start (no cursor): the watcher begins at the chain's head; earlier blocks are the re-sync's.
 * Not seen: native coin sent by a contract (an internal call is in no transaction's `to`/`value`;
 * finding it needs tracing, which most nodes do not offer).
 */
import type { Logger } from '../logger.ts';
import { AppError } from '../errors.ts';
import { evmDepositKey } from '../domain/intent-keys.ts';
import { nativeSymbol } from '../domain/evm-chains.ts';
import { tokenByAddress, type KnownToken } from '../domain/tokens.ts';
import type { DepositObservation, DepositSink, DepositStatus } from './deposits.ts';

/** Number, hash, parent hash and time of a block: what reorg detection and invoice expiry need. */
export interface EvmBlockHeader {
  number: number;
  hash: string;
  parentHash: string;
  /** Block timestamp, seconds since the epoch. */
  timestamp: number;
}

/** A successful transaction moving native coin to a watched address. */
export interface EvmNativeTransfer {
  txHash: string;
  from: string;
  to: string;
  value: bigint;
}

/** A block's header and the native transfers it holds to watched addresses. */
export interface EvmBlockScan {
  header: EvmBlockHeader;
  nativeTransfers: EvmNativeTransfer[];
}

/** An ERC-20 `Transfer` log to a watched address; `token` is the emitting contract (any contract). */
export interface EvmTokenTransfer {
  txHash: string;
  logIndex: number;
  blockNumber: number;
  blockHash: string;
  token: string;
  from: string;
  to: string;
  amount: bigint;
}

/** Read access to the chain the watcher needs; core/adapters/evm-rpc.ts implements it. */
export interface EvmChainReader {
  latestBlockNumber(): Promise<number>;
  /** The header of block `number` on the node's current chain, or `null` past its head. */
  getBlockHeader(number: number): Promise<EvmBlockHeader | null>;
  /**
   * Block `number` with its successful native transfers to `watched` (lower-case addresses), or
   * `null` past the head.
   */
  scanBlock(number: number, watched: ReadonlySet<string>): Promise<EvmBlockScan | null>;
  /** ERC-20 `Transfer` logs in `[fromBlock, toBlock]` whose recipient is one of `recipients`. */
  getTokenTransfers(
    fromBlock: number,
    toBlock: number,
    recipients: readonly string[],
  ): Promise<EvmTokenTransfer[]>;
  /**
   * What a contract calls itself (`symbol()`), reduced to 1–12 letters and digits, or `null`.
   * Untrusted: anyone can deploy a contract called "USDC". Used only to show the payee what a
   * look-alike claims to be.
   */
  tokenSymbol(token: string): Promise<string | null>;
}

/** `assetCode` of a transfer from an unknown contract whose `symbol()` gives nothing usable. */
export const UNKNOWN_TOKEN_CODE = 'UNKNOWN';

/** A recorded EVM deposit as far as confirmation and reorg handling care. */
export interface RecordedEvmDeposit {
  eventKey: string;
  height: number;
  blockHash: string | null;
  status: DepositStatus;
}

/** The deposit sink operations the watcher uses (core/services/deposits.ts). */
export type EvmDepositSink = Pick<DepositSink, 'record' | 'credit' | 'reverse'>;

/** A platform wallet on the EVM chain. */
export interface WatchedWallet {
  walletId: string;
  address: string;
}

/**
 * Where the watcher keeps its place (a cursor and the hashes of recently processed blocks), and
 * what it reads of recorded deposits. Deposits are only ever written through the sink.
 */
export interface EvmWatcherStore {
  /**
   * Runs `work` if this process leads the watcher `name` (taking the lead when it is free, and
   * keeping it across polls); resolves `undefined` while another process leads.
   */
  exclusive<T>(name: string, work: () => Promise<T>): Promise<T | undefined>;
  /** Last processed block, or `null` before the first run. */
  loadCursor(name: string): Promise<number | null>;
  /** Stored hashes of processed blocks numbered `from`..`to`. */
  blockHashes(chainId: number, from: number, to: number): Promise<Map<number, string>>;
  /** Stores processed blocks and moves the cursor to `cursor`, forgetting blocks below `keepFrom`; atomic. */
  advance(input: {
    chainId: number;
    name: string;
    blocks: readonly EvmBlockHeader[];
    cursor: number;
    keepFrom: number;
  }): Promise<void>;
  /** Forgets blocks above `ancestor` and moves the cursor back to it; atomic. */
  rewind(input: { chainId: number; name: string; ancestor: number }): Promise<void>;
  /** Every platform wallet on the EVM chain. */
  watchedWallets(): Promise<WatchedWallet[]>;
  /** PENDING deposits of the chain at or below `maxHeight`. */
  pendingDeposits(chainId: number, maxHeight: number): Promise<RecordedEvmDeposit[]>;
  /** PENDING and CREDITED deposits of the chain at or above `minHeight`. */
  liveDeposits(chainId: number, minHeight: number): Promise<RecordedEvmDeposit[]>;
  /** The deposits stored under these event keys. */
  depositsByKey(eventKeys: readonly string[]): Promise<RecordedEvmDeposit[]>;
}

/** Settings of the watcher. */
export interface EvmWatcherSettings {
  chainId: number;
  /** Blocks on top of a transfer's block before it is credited (EVM_CONFIRMATIONS). */
  confirmations: number;
  /** Known ERC-20 tokens (EVM_TOKENS). */
  tokens: readonly KnownToken[];
  /** Pause between polls when caught up (EVM_POLL_INTERVAL_MS). */
  pollIntervalMs: number;
  /** Most blocks one poll scans; a watcher that is behind polls again at once (default 500). */
  maxBlocksPerPoll?: number;
  /** Processed block hashes kept for finding a reorg's common ancestor (default confirmations + 128). */
  keepBlocks?: number;
  /** Block requests in flight at once (default 8). */
  concurrency?: number;
  /**
   * Where a first run starts: the first block it scans. Default: the current head; earlier blocks
   * are the re-sync's job.
   */
  startBlock?: number;
}

/** Dependencies of {@link createEvmWatcher} and {@link resyncEvmBlocks}. */
export interface EvmWatcherDeps {
  chain: EvmChainReader;
  sink: EvmDepositSink;
  store: EvmWatcherStore;
  logger: Logger;
  settings: EvmWatcherSettings;
}

/** What one poll did. */
export interface EvmPollReport {
  /** Skipped: another process leads this watcher. */
  skipped: boolean;
  head: number;
  /** Last block processed after this poll. */
  cursor: number;
  /** Blocks scanned by this poll. */
  scanned: number;
  recorded: number;
  credited: number;
  dropped: number;
  reversed: number;
  /** Depth of the reorg handled in this poll (blocks taken back), 0 when none. */
  reorgDepth: number;
}

/** A running watcher. */
export interface EvmWatcher {
  /** Polls every `pollIntervalMs` (at once again while behind) until {@link EvmWatcher.stop}. */
  start(): void;
  /** Stops polling and waits for the poll in flight to finish. */
  stop(): Promise<void>;
  /** One poll, for tests and tools; never overlaps another poll of this watcher. */
  pollOnce(): Promise<EvmPollReport>;
}

/**
 * The chain changed under a scan (a log's block hash differs from the block read a moment before):
 * nothing from this scan was stored; the next poll starts over from the stored state.
 */
export class EvmChainMovedError extends AppError {
  readonly retryable = true;

  constructor(readonly height: number) {
    super('EVM_CHAIN_MOVED', `the chain changed at block ${height} during a scan`, { height });
  }
}

/** The watcher's cursor name in watcher_cursors. */
export function evmWatcherName(chainId: number): string {
  return `evm:${chainId}`;
}

/** Creates the live watcher; call `start()` to begin polling. */
export function createEvmWatcher(deps: EvmWatcherDeps): EvmWatcher {
  const { chain, sink, store, settings } = deps;
  const logger = deps.logger.child({ component: 'evm-watcher', chainId: settings.chainId });
  const name = evmWatcherName(settings.chainId);
  const maxBlocks = Math.max(1, settings.maxBlocksPerPoll ?? 500);
  const keepBlocks = Math.max(
    settings.keepBlocks ?? settings.confirmations + 128,
    settings.confirmations + 2,
  );
  const symbols = symbolCache(chain);

  /** Takes back what was recorded on blocks above `ancestor`, which left the chain. */
  const unwind = async (ancestor: number, report: EvmPollReport) => {
    const canonical = canonicalHashes(chain);
    const orphaned: string[] = [];
    for (const deposit of await store.liveDeposits(settings.chainId, ancestor + 1)) {
      if ((await canonical(deposit.height)) !== deposit.blockHash) orphaned.push(deposit.eventKey);
    }
    const { reversed, dropped } = await sink.reverse(orphaned);
    report.reversed += reversed.length;
    report.dropped += dropped.length;
    await store.rewind({ chainId: settings.chainId, name, ancestor });
  };

  /** Whether the block at `cursor` is still the one processed; if not, unwinds to the common ancestor. */
  const reconcileTip = async (cursor: number, report: EvmPollReport): Promise<number> => {
    const stored = await store.blockHashes(settings.chainId, cursor - keepBlocks, cursor);
    const tipHash = stored.get(cursor);
    if (tipHash === undefined) return cursor;
    if ((await chain.getBlockHeader(cursor))?.hash === tipHash) return cursor;
    let ancestor: number | undefined;
    for (let number = cursor - 1; stored.has(number); number--) {
      if ((await chain.getBlockHeader(number))?.hash === stored.get(number)) {
        ancestor = number;
        break;
      }
    }
    if (ancestor === undefined) {
      ancestor = lowest(stored.keys()) - 1;
      logger.error(
        { cursor, keptFrom: ancestor + 1 },
        'EVM reorg deeper than the kept block hashes: blocks below them are taken as final',
      );
    }
    await unwind(ancestor, report);
    report.reorgDepth = cursor - ancestor;
    logger.warn(
      { depth: report.reorgDepth, ancestor, dropped: report.dropped, reversed: report.reversed },
      'EVM reorg: took back the abandoned blocks',
    );
    return ancestor;
  };

  /** Credits pending deposits deep enough; drops the ones whose block is no longer on the chain. */
  const settle = async (head: number, cursor: number, report: EvmPollReport) => {
    const safe = Math.min(head - settings.confirmations, cursor);
    if (safe < 0) return;
    const pending = await store.pendingDeposits(settings.chainId, safe);
    if (pending.length === 0) return;
    const stored = await store.blockHashes(
      settings.chainId,
      lowest(pending.map((deposit) => deposit.height)),
      safe,
    );
    const canonical = canonicalHashes(chain);
    const confirmed: string[] = [];
    const orphaned: string[] = [];
    for (const deposit of pending) {
      const hash = stored.get(deposit.height) ?? (await canonical(deposit.height));
      (hash === deposit.blockHash ? confirmed : orphaned).push(deposit.eventKey);
    }
    report.credited += (await sink.credit(confirmed)).length;
    report.dropped += (await sink.reverse(orphaned)).dropped.length;
  };

  const poll = async (): Promise<EvmPollReport> => {
    const head = await chain.latestBlockNumber();
    const report = { ...emptyReport(), head, cursor: head };
    const stored = await store.loadCursor(name);
    let cursor = stored ?? Math.min(settings.startBlock ?? head, head + 1) - 1;
    if (stored !== null) cursor = await reconcileTip(cursor, report);

    const to = Math.min(head, cursor + maxBlocks);
    if (to > cursor) {
      const previous = (await store.blockHashes(settings.chainId, cursor, cursor)).get(cursor);
      const scan = await scanRange(deps, symbols, cursor + 1, to, previous);
      // No block linking to the stored one: the chain moved since reconcileTip; the next poll
      // finds the orphaned tip and unwinds.
      if (scan.headers.length > 0) {
        const recorded = await recordScan(deps, scan.deposits);
        report.recorded = recorded.created;
        report.dropped += recorded.dropped;
        report.reversed += recorded.reversed;
        report.scanned = scan.headers.length;
        cursor = scan.headers.at(-1)!.number;
        await store.advance({
          chainId: settings.chainId,
          name,
          blocks: scan.headers,
          cursor,
          keepFrom: cursor - keepBlocks,
        });
      }
    }
    report.cursor = cursor;
    await settle(head, cursor, report);
    return report;
  };

  let running: Promise<EvmPollReport> | undefined;
  const pollOnce = async (): Promise<EvmPollReport> => {
    while (running) await running.catch(() => undefined);
    running = (async () => (await store.exclusive(name, poll)) ?? { ...emptyReport(), skipped: true })();
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };

  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  const loop = async () => {
    timer = undefined;
    if (stopped) return;
    let delay = settings.pollIntervalMs;
    try {
      const report = await pollOnce();
      failures = 0;
      if (report.recorded || report.credited || report.dropped || report.reversed)
        logger.info(report, 'EVM deposits processed');
      // Behind and moving (a catch-up, or a reorg just unwound): poll again at once.
      if (report.cursor < report.head && (report.scanned > 0 || report.reorgDepth > 0)) delay = 0;
    } catch (error) {
      failures++;
      // A failing node: back off up to a minute. Every poll starts again from the stored state.
      delay = Math.min(settings.pollIntervalMs * 2 ** Math.min(failures, 6), 60_000);
      logger.warn({ err: error, failures, retryInMs: delay }, 'EVM watcher poll failed');
    }
    if (!stopped) timer = setTimeout(() => void loop(), delay);
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      logger.info({ confirmations: settings.confirmations }, 'EVM watcher started');
      timer = setTimeout(() => void loop(), 0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
      logger.info('EVM watcher stopped');
    },
    pollOnce,
  };
}

/** What a re-sync did; `created + existing = seen`. */
export interface EvmResyncReport {
  from: number;
  /** Last block scanned: `to`, or lower when later blocks do not have enough confirmations yet. */
  to: number;
  head: number;
  /** Transfers into platform wallets found in the range. */
  seen: number;
  /** Recorded by this run (new, or recorded afresh under a new block after a reorg). */
  created: number;
  /** Already recorded (by the live watcher, an earlier re-sync). */
  existing: number;
  /** Credited by this run. */
  credited: number;
}

/** Dependencies of {@link resyncEvmBlocks}: the watcher's, without its place-keeping. */
export type EvmResyncDeps = Omit<EvmWatcherDeps, 'store'> & {
  store: Pick<EvmWatcherStore, 'watchedWallets' | 'depositsByKey'>;
};

/**
 * Scans `[from, to]` (blocks with enough confirmations only) and records and credits what it finds
 * through the same sink and keys as the live watcher: a second run, or a run beside the watcher,
 * records and credits nothing twice. It leaves the watcher's cursor alone.
 */
export async function resyncEvmBlocks(
  deps: EvmResyncDeps,
  range: { from: number; to: number; chunkSize?: number; onProgress?: (report: EvmResyncReport) => void },
): Promise<EvmResyncReport> {
  const { settings, sink } = deps;
  const head = await deps.chain.latestBlockNumber();
  const last = Math.min(range.to, head - settings.confirmations);
  const report: EvmResyncReport = {
    from: range.from,
    to: Math.max(last, range.from - 1),
    head,
    seen: 0,
    created: 0,
    existing: 0,
    credited: 0,
  };
  const chunk = Math.max(1, range.chunkSize ?? settings.maxBlocksPerPoll ?? 500);
  const symbols = symbolCache(deps.chain);
  for (let start = range.from; start <= last; start += chunk) {
    const end = Math.min(last, start + chunk - 1);
    const scan = await scanRange(deps, symbols, start, end, undefined);
    const scannedTo = scan.headers.at(-1)?.number ?? start - 1;
    if (scannedTo !== end) throw new EvmChainMovedError(scannedTo + 1);
    const recorded = await recordScan(deps, scan.deposits);
    report.seen += scan.deposits.length;
    report.created += recorded.created;
    report.existing += scan.deposits.length - recorded.created;
    // Every block here has its confirmations: what is still pending is credited now.
    report.credited += (await sink.credit(scan.deposits.map((deposit) => deposit.eventKey))).length;
    range.onProgress?.({ ...report, to: end });
  }
  return report;
}

/**
 * Records a scan's deposits as PENDING. A key already stored under another block than the one it
 * was just seen in (re-mined after a reorg, first seen on the abandoned branch) is taken back and
 * recorded afresh under its block.
 */
async function recordScan(
  deps: Pick<EvmResyncDeps, 'sink' | 'store'>,
  deposits: readonly DepositObservation[],
): Promise<{ created: number; dropped: number; reversed: number }> {
  if (deposits.length === 0) return { created: 0, dropped: 0, reversed: 0 };
  const first = await deps.sink.record(deposits, { status: 'PENDING' });
  let created = first.recorded.length;
  if (first.alreadyRecorded.length === 0) return { created, dropped: 0, reversed: 0 };
  const seenIn = new Map(deposits.map((deposit) => [deposit.eventKey, deposit.blockHash]));
  const stale = (await deps.store.depositsByKey(first.alreadyRecorded)).filter(
    (stored) =>
      (stored.status === 'PENDING' || stored.status === 'CREDITED') &&
      stored.blockHash !== seenIn.get(stored.eventKey),
  );
  if (stale.length === 0) return { created, dropped: 0, reversed: 0 };
  const staleKeys = new Set(stale.map((deposit) => deposit.eventKey));
  const { reversed, dropped } = await deps.sink.reverse([...staleKeys]);
  const again = await deps.sink.record(
    deposits.filter((deposit) => staleKeys.has(deposit.eventKey)),
    { status: 'PENDING' },
  );
  created += again.recorded.length;
  return { created, dropped: dropped.length, reversed: reversed.length };
}

/**
 * Reads blocks `from`..`to` and the transfers into platform wallets in them. Stops early at a block
 * that does not link to the one before it (`previousHash` for `from`), so what it returns is one
 * chain; throws {@link EvmChainMovedError} if a log belongs to another version of a block than the
 * one read.
 */
async function scanRange(
  deps: Pick<EvmWatcherDeps, 'chain' | 'settings'> & { store: Pick<EvmWatcherStore, 'watchedWallets'> },
  symbols: (token: string) => Promise<string>,
  from: number,
  to: number,
  previousHash: string | undefined,
): Promise<{ headers: EvmBlockHeader[]; deposits: DepositObservation[] }> {
  const { chain, settings } = deps;
  const wallets = new Map(
    (await deps.store.watchedWallets()).map((wallet) => [wallet.address.toLowerCase(), wallet.walletId]),
  );
  const watched: ReadonlySet<string> = new Set(wallets.keys());
  const numbers = Array.from({ length: to - from + 1 }, (_, index) => from + index);
  const scans = await mapLimit(numbers, settings.concurrency ?? 8, (number) =>
    chain.scanBlock(number, watched),
  );

  const linked: EvmBlockScan[] = [];
  let parent = previousHash;
  for (const scan of scans) {
    if (!scan || (parent !== undefined && scan.header.parentHash !== parent)) break;
    linked.push(scan);
    parent = scan.header.hash;
  }
  const headers = linked.map((scan) => scan.header);
  if (linked.length === 0 || wallets.size === 0) return { headers, deposits: [] };

  const observation = (header: EvmBlockHeader, txHash: string, sender: string, recipient: string) => ({
    chain: 'EVM' as const,
    chainId: settings.chainId,
    walletId: wallets.get(recipient.toLowerCase())!,
    fromAddress: sender,
    toAddress: recipient,
    memoType: null,
    memo: null,
    txHash,
    height: BigInt(header.number),
    blockHash: header.hash,
    occurredAt: new Date(header.timestamp * 1000),
  });
  const deposits: DepositObservation[] = [];
  for (const { header, nativeTransfers } of linked) {
    for (const transfer of nativeTransfers) {
      if (!wallets.has(transfer.to.toLowerCase())) continue;
      deposits.push({
        ...observation(header, transfer.txHash, transfer.from, transfer.to),
        eventKey: evmDepositKey(settings.chainId, transfer.txHash, 'native'),
        assetCode: nativeSymbol(settings.chainId),
        assetIssuer: null,
        amountBase: transfer.value,
      });
    }
  }

  const byNumber = new Map(headers.map((header) => [header.number, header]));
  for (const transfer of await chain.getTokenTransfers(from, headers.at(-1)!.number, [...watched])) {
    const header = byNumber.get(transfer.blockNumber);
    if (!header || header.hash !== transfer.blockHash) throw new EvmChainMovedError(transfer.blockNumber);
    if (!wallets.has(transfer.to.toLowerCase())) continue;
    // A known token is named by its contract; an unknown one by what it claims, for display only:
    // the sink never lets a contract outside EVM_TOKENS pay an invoice, whatever its symbol.
    const known = tokenByAddress(settings.tokens, transfer.token);
    deposits.push({
      ...observation(header, transfer.txHash, transfer.from, transfer.to),
      eventKey: evmDepositKey(settings.chainId, transfer.txHash, transfer.logIndex),
      assetCode: known?.symbol ?? (await symbols(transfer.token)),
      assetIssuer: known?.address ?? transfer.token,
      amountBase: transfer.amount,
    });
  }
  return { headers, deposits };
}

/** Claimed symbols of unknown contracts, read once per contract (bounded: spam tokens are many). */
function symbolCache(chain: EvmChainReader, limit = 1_000): (token: string) => Promise<string> {
  const known = new Map<string, Promise<string>>();
  return (token) => {
    const key = token.toLowerCase();
    let symbol = known.get(key);
    if (!symbol) {
      if (known.size >= limit) known.clear();
      symbol = chain.tokenSymbol(token).then(
        (claimed) => claimed ?? UNKNOWN_TOKEN_CODE,
        () => UNKNOWN_TOKEN_CODE,
      );
      known.set(key, symbol);
    }
    return symbol;
  };
}

/** Memoized canonical block hashes by number, read from the chain on demand (`null` past the head). */
function canonicalHashes(chain: EvmChainReader): (height: number) => Promise<string | null> {
  const known = new Map<number, Promise<string | null>>();
  return (height) => {
    let hash = known.get(height);
    if (!hash) {
      hash = chain.getBlockHeader(height).then((header) => header?.hash ?? null);
      known.set(height, hash);
    }
    return hash;
  };
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}

function emptyReport(): EvmPollReport {
  return {
    skipped: false,
    head: 0,
    cursor: 0,
    scanned: 0,
    recorded: 0,
    credited: 0,
    dropped: 0,
    reversed: 0,
    reorgDepth: 0,
  };
}

function lowest(numbers: Iterable<number>): number {
  let result = Infinity;
  for (const number of numbers) if (number < result) result = number;
  return result;
}
