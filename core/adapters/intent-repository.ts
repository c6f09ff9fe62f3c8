import type { IntentRecord, IntentRepository } from '../ports.ts';
import type { PrismaClient } from './prisma-client.ts';

const columns = {
  id: true,
  key: true,
  status: true,
  walletId: true,
  sourceAddress: true,
  envelope: true,
  txHash: true,
  attempts: true,
} as const;

/** Money-moving intents in Postgres, unique on their key. */
export function createIntentRepository(prisma: PrismaClient): IntentRepository {
  const update = async (key: string, data: Parameters<PrismaClient['chainIntent']['update']>[0]['data']) => {
    await prisma.chainIntent.update({ where: { key }, data });
  };
  return {
    async ensure({ key, kind, chain, walletId }): Promise<IntentRecord> {
      await prisma.chainIntent.createMany({ data: [{ key, kind, chain, walletId }], skipDuplicates: true });
      return prisma.chainIntent.findUniqueOrThrow({ where: { key }, select: columns });
    },
    findByKey: (key) => prisma.chainIntent.findUnique({ where: { key }, select: columns }),
    recordSigned: (key, { sourceAddress, envelope, txHash, amountBase }) =>
      update(key, {
        status: 'SIGNED',
        sourceAddress,
        envelope,
        txHash,
        amountBase: amountBase.toString(),
        error: null,
      }),
    markSubmitted: (key) => update(key, { status: 'SUBMITTED' }),
    markConfirmed: (key) => update(key, { status: 'CONFIRMED', error: null }),
    markFailed: (key, error) => update(key, { status: 'FAILED', error }),
    discardEnvelope: (key) => update(key, { status: 'PENDING', envelope: null, txHash: null }),
    async countAttempt(key) {
      const intent = await prisma.chainIntent.update({
        where: { key },
        data: { attempts: { increment: 1 } },
        select: { attempts: true },
      });
      return intent.attempts;
    },
  };
}
