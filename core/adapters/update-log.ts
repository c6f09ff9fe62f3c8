import type { PrismaClient } from './prisma-client.ts';

/** Claims Telegram update ids, so an update delivered twice is handled once. */
export interface UpdateLog {
  /** True for the first claim of `updateId`, false for every later one. */
  claim(updateId: number): Promise<boolean>;
  /** Forgets ids older than `olderThan`; Telegram never redelivers after 24 hours. */
  prune(olderThan: Date): Promise<number>;
}

export function createUpdateLog(prisma: PrismaClient): UpdateLog {
  return {
    async claim(updateId) {
      const inserted = await prisma.$executeRaw`
        INSERT INTO processed_updates (update_id) VALUES (${BigInt(updateId)}) ON CONFLICT DO NOTHING`;
      return inserted === 1;
    },
    async prune(olderThan) {
      const { count } = await prisma.processedUpdate.deleteMany({ where: { receivedAt: { lt: olderThan } } });
      return count;
    },
  };
}
