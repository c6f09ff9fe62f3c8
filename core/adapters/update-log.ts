import type { PrismaClient } from './prisma-client.ts';

/** Claims Telegram update ids, so an update delivered twice is handled once. */
export interface UpdateLog {
  /** True for the first claim of `updateId`, false for every later one. */
  claim(updateId: number): Promise<boolean>;
  /** Forgets ids older than `olderThan`; Telegram never redelivers after 24 hours. */
  prune(olderThan: Date): Promise<number>;
}

interface PendingClaim {
  updateId: bigint;
  resolve: (won: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Update ids claimed in Postgres. Claims that arrive while an insert is in flight ride together in
 * the next one (`INSERT … SELECT unnest(…) … RETURNING`): nothing waits when the bot is idle, and
 * under load one round trip serves many updates. Each id still wins exactly once.
 */
export function createUpdateLog(prisma: PrismaClient, options: { maxBatch?: number } = {}): UpdateLog {
  const maxBatch = options.maxBatch ?? 500;
  let queued: PendingClaim[] = [];
  let inFlight = false;

  const flush = async (): Promise<void> => {
    if (inFlight || queued.length === 0) return;
    inFlight = true;
    const batch = queued.slice(0, maxBatch);
    queued = queued.slice(batch.length);
    try {
      const ids = batch.map((claim) => claim.updateId.toString());
      const won = await prisma.$queryRawUnsafe<{ update_id: bigint }[]>(
        'INSERT INTO processed_updates (update_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING RETURNING update_id',
        ids,
      );
      const winners = new Set(won.map((row) => row.update_id.toString()));
      // An id claimed twice in one batch is inserted once; only its first claimant wins.
      for (const claim of batch) {
        const key = claim.updateId.toString();
        claim.resolve(winners.delete(key));
      }
    } catch (error) {
      for (const claim of batch) claim.reject(error);
    } finally {
      inFlight = false;
      void flush();
    }
  };

  return {
    claim(updateId) {
      return new Promise<boolean>((resolve, reject) => {
        queued.push({ updateId: BigInt(updateId), resolve, reject });
        void flush();
      });
    },
    async prune(olderThan) {
      const { count } = await prisma.processedUpdate.deleteMany({ where: { receivedAt: { lt: olderThan } } });
      return count;
    },
  };
}
