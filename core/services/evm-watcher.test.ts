import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { DepositObservation, DepositStatus } from './deposits.ts';
import {
  EvmChainMovedError,
  createEvmWatcher,
  type EvmBlockHeader,
  type EvmChainReader,
  type EvmDepositSink,
  type EvmTokenTransfer,
  type EvmWatcherStore,
  type RecordedEvmDeposit,
} from './evm-watcher.ts';

const CHAIN_ID = 5;
const WALLET = '0x00000000000000000000000000000000000000aa';
const TOKEN = '0x00000000000000000000000000000000000000cc';

/** A chain held in memory: blocks by number, and token transfers by block hash. */
class ScriptedChain implements EvmChainReader {
  blocks: EvmBlockHeader[] = [];
  transfers = new Map<string, EvmTokenTransfer[]>();
  /** Makes the next getTokenTransfers answer as if the block at this height had been replaced. */
  replaceBeforeLogs: number | undefined;

  extend(count: number, fork = 'a'): void {
    for (let index = 0; index < count; index++) {
      const number = this.blocks.length;
      this.blocks.push({
        number,
        hash: `0x${fork}${number}`,
        parentHash: this.blocks[number - 1]?.hash ?? '0x',
        timestamp: 1_700_000_000 + number,
      });
    }
  }
  /** Drops blocks from `height` on and mines `count` new ones on fork `fork`. */
  reorg(height: number, count: number, fork: string): void {
    this.blocks = this.blocks.slice(0, height);
    this.extend(count, fork);
  }
  pay(height: number, amount: bigint): void {
    const block = this.blocks[height]!;
    const list = this.transfers.get(block.hash) ?? [];
    list.push({
      txHash: `0xtx${block.hash}${list.length}`,
      logIndex: list.length,
      blockNumber: height,
      blockHash: block.hash,
      token: TOKEN,
      from: '0x00000000000000000000000000000000000000bb',
      to: WALLET,
      amount,
    });
    this.transfers.set(block.hash, list);
  }

  async latestBlockNumber() {
    return this.blocks.length - 1;
  }
  async getBlockHeader(number: number) {
    return this.blocks[number] ?? null;
  }
  async scanBlock(number: number) {
    const header = this.blocks[number];
    return header ? { header, nativeTransfers: [] } : null;
  }
  async getTokenTransfers(from: number, to: number) {
    if (this.replaceBeforeLogs !== undefined) {
      this.reorg(this.replaceBeforeLogs, this.blocks.length - this.replaceBeforeLogs, 'z');
      this.pay(this.replaceBeforeLogs, 1n);
      this.replaceBeforeLogs = undefined;
    }
    return this.blocks.slice(from, to + 1).flatMap((block) => this.transfers.get(block.hash) ?? []);
  }
  async tokenSymbol() {
    return 'TKN';
  }
}

/** The sink and the watcher's store over one in-memory table of deposits. */
function memoryStorage() {
  const deposits = new Map<string, DepositObservation & { status: DepositStatus; revision: number }>();
  let cursor: number | null = null;
  const hashes = new Map<number, string>();
  const view = (
    row: DepositObservation & { status: DepositStatus; revision: number },
  ): RecordedEvmDeposit => ({
    eventKey: row.eventKey,
    height: Number(row.height),
    blockHash: row.blockHash,
    status: row.status,
  });
  const recordOf = (key: string, walletId: string, status: DepositStatus) => ({
    id: key,
    eventKey: key,
    status,
    walletId,
    invoiceId: null,
    invoiceOutcome: null,
  });
  const move = (keys: readonly string[], from: DepositStatus, to: DepositStatus) =>
    keys.flatMap((key) => {
      const row = deposits.get(key);
      if (row?.status !== from) return [];
      row.status = to;
      return [{ ...recordOf(key, row.walletId, to), revision: row.revision }];
    });
  const sink: EvmDepositSink = {
    async record(observed) {
      const recorded = [];
      const alreadyRecorded = [];
      for (const deposit of observed) {
        const existing = deposits.get(deposit.eventKey);
        if (existing && existing.status !== 'DROPPED' && existing.status !== 'REVERSED') {
          alreadyRecorded.push(deposit.eventKey);
          continue;
        }
        const revision = existing ? existing.revision + 1 : 0;
        deposits.set(deposit.eventKey, { ...deposit, status: 'PENDING', revision });
        recorded.push({ ...recordOf(deposit.eventKey, deposit.walletId, 'PENDING'), revision });
      }
      return { recorded, alreadyRecorded };
    },
    credit: async (keys) => move(keys, 'PENDING', 'CREDITED'),
    reverse: async (keys) => ({
      reversed: move(keys, 'CREDITED', 'REVERSED'),
      dropped: move(keys, 'PENDING', 'DROPPED'),
    }),
  };
  const store: EvmWatcherStore = {
    exclusive: (_name, work) => work(),
    loadCursor: async () => cursor,
    async blockHashes(_chainId, from, to) {
      return new Map([...hashes].filter(([number]) => number >= from && number <= to));
    },
    async advance({ blocks, cursor: next, keepFrom }) {
      for (const block of blocks) hashes.set(block.number, block.hash);
      for (const number of [...hashes.keys()]) if (number < keepFrom) hashes.delete(number);
      cursor = next;
    },
    async rewind({ ancestor }) {
      for (const number of [...hashes.keys()]) if (number > ancestor) hashes.delete(number);
      cursor = ancestor;
    },
    watchedWallets: async () => [{ walletId: 'wallet-1', address: WALLET }],
    pendingDeposits: async (_chainId, maxHeight) =>
      [...deposits.values()].filter((row) => row.status === 'PENDING' && row.height <= maxHeight).map(view),
    liveDeposits: async (_chainId, minHeight) =>
      [...deposits.values()]
        .filter((row) => (row.status === 'PENDING' || row.status === 'CREDITED') && row.height >= minHeight)
        .map(view),
    depositsByKey: async (keys) =>
      keys.flatMap((key) => (deposits.has(key) ? [view(deposits.get(key)!)] : [])),
  };
  return { sink, store, deposits, cursor: () => cursor };
}

function setup(options: { keepBlocks?: number; confirmations?: number } = {}) {
  const chain = new ScriptedChain();
  chain.extend(3);
  const storage = memoryStorage();
  const errors: string[] = [];
  const logger = pino(
    { level: 'error' },
    { write: (line: string) => void errors.push(JSON.parse(line).msg) },
  );
  const watcher = createEvmWatcher({
    chain,
    sink: storage.sink,
    store: storage.store,
    logger,
    settings: {
      chainId: CHAIN_ID,
      confirmations: options.confirmations ?? 2,
      tokens: [],
      pollIntervalMs: 10,
      keepBlocks: options.keepBlocks,
    },
  });
  return { chain, watcher, errors, ...storage };
}

describe('when the chain changes between reading a block and reading its logs', () => {
  it('stores nothing from that scan, and the next poll records the transfer of the new block', async () => {
    const { chain, watcher, deposits, cursor } = setup();
    await watcher.pollOnce();
    chain.extend(2);
    chain.pay(3, 10n);
    chain.replaceBeforeLogs = 3;

    await expect(watcher.pollOnce()).rejects.toBeInstanceOf(EvmChainMovedError);
    expect(deposits.size).toBe(0);
    expect(cursor()).toBe(2);

    const report = await watcher.pollOnce();
    expect(report.recorded).toBe(1);
    expect([...deposits.values()].map((row) => [row.blockHash, row.amountBase])).toEqual([['0xz3', 1n]]);
  });
});

describe('when a reorg goes deeper than the block hashes kept', () => {
  it('says so, takes the oldest kept block as final and still takes back what the new branch lacks', async () => {
    const { chain, watcher, deposits, errors } = setup({ keepBlocks: 4, confirmations: 2 });
    await watcher.pollOnce();
    chain.extend(8);
    chain.pay(9, 5n);
    await watcher.pollOnce();
    chain.extend(1);
    await watcher.pollOnce();
    expect([...deposits.values()].map((row) => row.status)).toEqual(['CREDITED']);

    chain.reorg(2, 10, 'b');
    const report = await watcher.pollOnce();

    expect(errors).toContain(
      'EVM reorg deeper than the kept block hashes: blocks below them are taken as final',
    );
    expect(report.reversed).toBe(1);
    expect([...deposits.values()].map((row) => row.status)).toEqual(['REVERSED']);
  });
});
