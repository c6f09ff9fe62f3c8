import type { WalletRecord, WalletRepository } from '../ports.ts';
import type { PrismaClient } from './prisma-client.ts';

const columns = {
  id: true,
  userId: true,
  chain: true,
  address: true,
  signerKeyId: true,
  status: true,
} as const;

/** Wallets in Postgres: at most one per user and chain, enforced by a unique index. */
export function createWalletRepository(prisma: PrismaClient): WalletRepository {
  return {
    listByUser: (userId) =>
      prisma.wallet.findMany({ where: { userId }, select: columns, orderBy: { chain: 'asc' } }),
    findById: (id) => prisma.wallet.findUnique({ where: { id }, select: columns }),
    async insertIfAbsent(wallet): Promise<WalletRecord> {
      // createMany skips conflicts instead of aborting, so concurrent callers all read the winner.
      await prisma.wallet.createMany({ data: [wallet], skipDuplicates: true });
      return prisma.wallet.findUniqueOrThrow({
        where: { userId_chain: { userId: wallet.userId, chain: wallet.chain } },
        select: columns,
      });
    },
    async setStatus(id, status) {
      await prisma.wallet.update({
        where: { id },
        data: { status, ...(status === 'ACTIVE' ? { activatedAt: new Date() } : {}) },
      });
    },
  };
}
