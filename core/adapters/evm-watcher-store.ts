import type { EvmWatcherStore, RecordedEvmDeposit } from '../services/evm-watcher.ts';
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
  /** Longest a poll may hold the watcher's lock (default 10 minutes); a longer one fails and is retried. */
  maxPollMs?: number;
}

/**
 * The EVM watcher's place in Postgres: its cursor in `watcher_cursors`, the hashes of recently
 * processed blocks in `evm_blocks`, and a per-watcher advisory lock so that only one worker process
 * polls a chain at a time (a second one skips its poll; if the first dies, its lock goes with its
 * connection). It reads `chain_deposits` but never writes it: deposits change only through the
 * deposit sink.
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
    exclusive: (name, work) =>
      prisma.$transaction(
        async (tx) => {
          const [row] = await tx.$queryRaw<{ locked: boolean }[]>`
            SELECT pg_try_advisory_xact_lock(hashtextextended(${`watcher:${name}`}, 0)) AS locked`;
          return row?.locked ? work() : undefined;
        },
        { maxWait: 10_000, timeout: options.maxPollMs ?? 600_000 },
      ),

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
