import type { UserRecord, UserRepository } from '../ports.ts';
import type { PrismaClient } from './prisma-client.ts';

const columns = { id: true, telegramId: true, languageCode: true } as const;

/** Users in Postgres. */
export function createUserRepository(prisma: PrismaClient): UserRepository {
  return {
    async ensure(telegramId, languageCode): Promise<UserRecord> {
      return prisma.user.upsert({
        where: { telegramId },
        create: { telegramId, languageCode },
        update: {},
        select: columns,
      });
    },
    findByTelegramId: (telegramId) => prisma.user.findUnique({ where: { telegramId }, select: columns }),
    findById: (id) => prisma.user.findUnique({ where: { id }, select: columns }),
    async setLanguage(telegramId, languageCode) {
      await prisma.user.upsert({
        where: { telegramId },
        create: { telegramId, languageCode },
        update: { languageCode },
      });
    },
    async rememberUsername(telegramId, username, languageCode) {
      const name = username?.toLowerCase() ?? null;
      const claim = prisma.user.upsert({
        where: { telegramId },
        create: { telegramId, languageCode, username: name },
        update: { username: name },
        select: { id: true },
      });
      if (name === null) {
        await claim;
        return;
      }
      // One transaction: the name is never held by two users, nor lost, between the two writes.
      await prisma.$transaction([
        prisma.user.updateMany({
          where: { username: name, telegramId: { not: telegramId } },
          data: { username: null },
        }),
        claim,
      ]);
    },
    async findByUsername(username) {
      // Normally one row: a name moves when its new owner is seen. Two can only remain if both were
      // seen at once; the later one wins, as it would have a moment later.
      return prisma.user.findFirst({
        where: { username: username.toLowerCase() },
        orderBy: { updatedAt: 'desc' },
        select: columns,
      });
    },
  };
}
