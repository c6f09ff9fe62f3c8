import type { SourceAccountLock } from '../ports.ts';
import type { PrismaClient } from './prisma-client.ts';

/**
 * A Postgres advisory lock per source account, held by an otherwise idle transaction while the work
 * runs on other connections. If the worker dies, its connection closes and the lock goes with it.
 */
export function createSourceAccountLock(
  prisma: PrismaClient,
  options: { maxWaitMs?: number; maxHoldMs?: number } = {},
): SourceAccountLock {
  return {
    withLock: (sourceAddress, work) =>
      prisma.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`source:${sourceAddress}`}, 0))`;
          return work();
        },
        { maxWait: options.maxWaitMs ?? 30_000, timeout: options.maxHoldMs ?? 120_000 },
      ),
  };
}
