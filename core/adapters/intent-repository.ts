import { AppError } from '../errors.ts';
import type { IntentRecord, IntentRepository } from '../ports.ts';
import type { IntentProgress, SignedEnvelope } from '../services/payment-execution/ports.ts';
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

/** Intents as every money-moving service writes them: the shared port plus payment progress. */
export type ChainIntentRepository = IntentRepository & IntentProgress;

/**
 * An envelope was about to replace one the intent still holds; only a discarded one may be
 * replaced. A retry settles the stored one first.
 */
export class EnvelopeAlreadyStoredError extends AppError {
  constructor(readonly key: string) {
    super('ENVELOPE_ALREADY_STORED', `intent ${key} already holds a signed envelope`, { key });
  }
}

/** Money-moving intents in Postgres, unique on their key. */
export function createIntentRepository(prisma: PrismaClient): ChainIntentRepository {
  const update = async (key: string, data: Parameters<PrismaClient['chainIntent']['update']>[0]['data']) => {
    await prisma.chainIntent.update({ where: { key }, data });
  };
  return {
    async ensure({ key, kind, chain, walletId }): Promise<IntentRecord> {
      await prisma.chainIntent.createMany({ data: [{ key, kind, chain, walletId }], skipDuplicates: true });
      return prisma.chainIntent.findUniqueOrThrow({ where: { key }, select: columns });
    },
    findByKey: (key) => prisma.chainIntent.findUnique({ where: { key }, select: columns }),
    async recordSigned(key: string, input: SignedEnvelope) {
      const { sourceAddress, envelope, txHash, amountBase, evmNonce, validUntil } = input;
      // Conditional on the slot being empty: two runs that somehow both signed cannot overwrite
      // each other's envelope, so the one stored is the one that may have been submitted.
      const { count } = await prisma.chainIntent.updateMany({
        where: { key, envelope: null },
        data: {
          status: 'SIGNED',
          sourceAddress,
          envelope,
          txHash,
          amountBase: amountBase.toString(),
          evmNonce: evmNonce ?? null,
          validUntil: validUntil ?? null,
          error: null,
        },
      });
      if (count !== 1) throw new EnvelopeAlreadyStoredError(key);
    },
    markSubmitted: (key) => update(key, { status: 'SUBMITTED' }),
    markConfirmed: (key) => update(key, { status: 'CONFIRMED', error: null }),
    async markFailed(key, error) {
      await prisma.chainIntent.updateMany({
        where: { key, status: { not: 'CONFIRMED' } },
        data: { status: 'FAILED', error },
      });
    },
    discardEnvelope: (key) =>
      update(key, { status: 'PENDING', envelope: null, txHash: null, evmNonce: null, validUntil: null }),
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
