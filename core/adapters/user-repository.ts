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
  };
}
