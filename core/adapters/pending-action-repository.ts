import type { PendingActionRecord, PendingActionRepository } from '../ports.ts';
import type { Prisma, PrismaClient } from './prisma-client.ts';

/** Button state in Postgres; consuming is one conditional UPDATE, so two presses cannot both win. */
export function createPendingActionRepository(prisma: PrismaClient): PendingActionRepository {
  return {
    async insert(action) {
      await prisma.pendingAction.create({
        data: { ...action, payload: action.payload as Prisma.InputJsonValue },
      });
    },
    async bindMessage(id, chatId, messageId) {
      const { count } = await prisma.pendingAction.updateMany({
        where: { id, chatId, messageId: null },
        data: { messageId },
      });
      return count === 1;
    },
    async consume({ id, kind, telegramUserId, chatId, messageId, now }) {
      const { count } = await prisma.pendingAction.updateMany({
        where: { id, kind, telegramUserId, chatId, messageId, usedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now },
      });
      if (count !== 1) return null;
      return prisma.pendingAction.findUnique({ where: { id } }) as Promise<PendingActionRecord | null>;
    },
    findById: (id) =>
      prisma.pendingAction.findUnique({ where: { id } }) as Promise<PendingActionRecord | null>,
    async deleteExpired(before) {
      const { count } = await prisma.pendingAction.deleteMany({ where: { expiresAt: { lt: before } } });
      return count;
    },
  };
}
