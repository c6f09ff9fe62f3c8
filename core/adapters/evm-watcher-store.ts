import { AppError } from '../errors.ts';
import type { EvmWatcherStore, RecordedEvmDeposit } from '../services/evm-watcher.ts';
import type { LeaderLock } from '../services/leadership.ts';
import type { PrismaClient } from './prisma-client.ts';

const DEPOSIT_COLUMNS = { eventKey: true, height: true, blockHash: true, status: true } as const;

function toRecorded(row: {
  eventKey: string;
  height: bigint;
  blockHash: string | null;
  status: RecordedEvmDeposit['status'];
}): RecordedEvmDeposit {
  return { eventKey: row.eventKey, height: Number(row.height), blockHash: row.blockHash, status: row.status };
}

/** Options of {@link createEvmWatcherStore}. */
export interface EvmWatcherStoreOptions {
  /**
   * The watcher's leadership among worker processes (core/adapters/leader-lock.ts, named
   * `evmWatcherName(chainId)`); its owner releases it on stop. Only `exclusive` needs it: a store
   * without one (the re-sync tool) refuses `exclusive`.
   */
  lock?: LeaderLock;
}

/** `exclusive` was asked for a watcher the store has no leader lock for. */
export class WatcherLockMissingError extends AppError {
  constructor(name: string) {
    super('WATCHER_LOCK_MISSING', `no leader lock for watcher ${name}`, { name });
  }
}

/**
 * The EVM watcher's place in Postgres: its cursor in `watcher_cursors` and the hashes of recently
 * processed blocks in `evm_blocks`; with a leader lock, only the worker process that leads polls a
 * chain (the others skip their polls and take the lead when it is free). It reads `chain_deposits`
 * but never writes it: deposits change only through the deposit sink.
 */
export function createEvmWatcherStore(
  prisma: PrismaClient,
  options: EvmWatcherStoreOptions = {},
): EvmWatcherStore {
  const saveCursor = (name: string, cursor: number) =>
    prisma.watcherCursor.upsert({
      where: { name },
      create: { name, cursor: String(cursor) },
      update: { cursor: String(cursor) },
    });

  return {
    async exclusive(name, work) {
      const { lock } = options;
      if (!lock || lock.name !== name) throw new WatcherLockMissingError(name);
      return (await lock.lead()) ? work() : undefined;
    },

    async loadCursor(name) {
      const row = await prisma.watcherCursor.findUnique({ where: { name } });
      return row ? Number(row.cursor) : null;
    },

    async blockHashes(chainId, from, to) {
      const rows = await prisma.evmBlock.findMany({
        where: { chainId, number: { gte: BigInt(Math.max(0, from)), lte: BigInt(Math.max(0, to)) } },
        select: { number: true, hash: true },
      });
      return new Map(rows.map((row) => [Number(row.number), row.hash]));
    },

    async advance({ chainId, name, blocks, cursor, keepFrom }) {
      const numbers = blocks.map((block) => BigInt(block.number));
      await prisma.$transaction([
        prisma.evmBlock.deleteMany({ where: { chainId, number: { in: numbers } } }),
        prisma.evmBlock.createMany({
          data: blocks.map((block) => ({ chainId, number: BigInt(block.number), hash: block.hash })),
        }),
        prisma.evmBlock.deleteMany({ where: { chainId, number: { lt: BigInt(Math.max(0, keepFrom)) } } }),
        saveCursor(name, cursor),
      ]);
    },

    async rewind({ chainId, name, ancestor }) {
      await prisma.$transaction([
        prisma.evmBlock.deleteMany({ where: { chainId, number: { gt: BigInt(ancestor) } } }),
        saveCursor(name, ancestor),
      ]);
    },

    async watchedWallets() {
      const rows = await prisma.wallet.findMany({
        where: { chain: 'EVM' },
        select: { id: true, address: true },
      });
      return rows.map((row) => ({ walletId: row.id, address: row.address }));
    },

    async pendingDeposits(chainId, maxHeight) {
      const rows = await prisma.chainDeposit.findMany({
        where: { chain: 'EVM', chainId, status: 'PENDING', height: { lte: BigInt(maxHeight) } },
        select: DEPOSIT_COLUMNS,
        orderBy: { height: 'asc' },
      });
      return rows.map(toRecorded);
    },

    async liveDeposits(chainId, minHeight) {
      const rows = await prisma.chainDeposit.findMany({
        where: {
          chain: 'EVM',
          chainId,
          status: { in: ['PENDING', 'CREDITED'] },
          height: { gte: BigInt(Math.max(0, minHeight)) },
        },
        select: DEPOSIT_COLUMNS,
        orderBy: { height: 'asc' },
      });
      return rows.map(toRecorded);
    },

    async depositsByKey(eventKeys) {
      if (eventKeys.length === 0) return [];
      const rows = await prisma.chainDeposit.findMany({
        where: { eventKey: { in: [...eventKeys] } },
        select: DEPOSIT_COLUMNS,
      });
      return rows.map(toRecorded);
    },
  };
}
