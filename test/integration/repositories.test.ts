import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createUpdateLog, type UpdateLog } from '../../core/adapters/update-log.ts';
import { createUserRepository } from '../../core/adapters/user-repository.ts';
import { createWalletRepository } from '../../core/adapters/wallet-repository.ts';
import { createIntentRepository } from '../../core/adapters/intent-repository.ts';
import { createSourceAccountLock } from '../../core/adapters/source-account-lock.ts';
import { createTestDatabase } from '../support/database.ts';

let prisma: PrismaClient;
let updates: UpdateLog;
let drop: () => Promise<void>;
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase('repos');
  drop = database.drop;
  prisma = createPrismaClient(database.url);
  updates = createUpdateLog(database.url);
});
afterAll(async () => {
  await prisma.$disconnect();
  await updates.close();
  await drop();
});

describe('the update log', () => {
  it('lets exactly one of many concurrent claims of an update id win', async () => {
    const claims = await Promise.all(Array.from({ length: 20 }, () => updates.claim(777)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await updates.claim(778)).toBe(true);
  });

  it('answers each claimant of a mixed batch on its own, and remembers winners across restarts', async () => {
    expect(await updates.claim(801)).toBe(true);
    // One turn of the event loop: these ride in one insert, old and new ids, one of them twice.
    const claims = await Promise.all([801, 802, 803, 802, 804].map((id) => updates.claim(id)));
    expect(claims).toEqual([false, true, true, false, true]);

    // Another process (or this one after a restart) sees every id claimed here as taken.
    const restarted = createUpdateLog(database.url);
    try {
      const again = await Promise.all([801, 802, 803, 804, 805].map((id) => restarted.claim(id)));
      expect(again).toEqual([false, false, false, false, true]);
    } finally {
      await restarted.close();
    }
  });

  it('refuses an update id that is not an integer without disturbing the batch it arrived with', async () => {
    const [invalid, valid] = await Promise.allSettled([updates.claim(1.5), updates.claim(806)]);
    expect(invalid).toMatchObject({ status: 'rejected', reason: { code: 'UPDATE_ID_INVALID' } });
    expect(valid).toEqual({ status: 'fulfilled', value: true });
  });

  it('forgets old ids when pruned', async () => {
    await updates.claim(900);
    expect(await updates.prune(new Date(Date.now() + 1000))).toBeGreaterThan(0);
    expect(await updates.claim(900)).toBe(true);
  });
});

describe('the user repository', () => {
  it('keeps a stored language when the user is seen again', async () => {
    const users = createUserRepository(prisma);
    await users.ensure(1001n, 'es');
    const again = await users.ensure(1001n, 'en');
    expect(again.languageCode).toBe('es');
    await users.setLanguage(1001n, 'en');
    expect((await users.findByTelegramId(1001n))?.languageCode).toBe('en');
  });
});

describe('the wallet repository', () => {
  it('stores one wallet per user and chain however many inserts race', async () => {
    const users = createUserRepository(prisma);
    const wallets = createWalletRepository(prisma);
    const user = await users.ensure(2002n, 'en');
    const stored = await Promise.all(
      Array.from({ length: 10 }, () =>
        wallets.insertIfAbsent({
          userId: user.id,
          chain: 'EVM',
          address: '0x' + 'ab'.repeat(20),
          signerKeyId: '00000000-0000-4000-8000-000000000001',
          status: 'ACTIVE',
        }),
      ),
    );
    expect(new Set(stored.map((wallet) => wallet.id)).size).toBe(1);
    expect(await wallets.listByUser(user.id)).toHaveLength(1);
  });
});

describe('the intent repository', () => {
  it('creates an intent once per key and keeps its envelope until discarded', async () => {
    const users = createUserRepository(prisma);
    const wallets = createWalletRepository(prisma);
    const intents = createIntentRepository(prisma);
    const user = await users.ensure(3003n, 'en');
    const wallet = await wallets.insertIfAbsent({
      userId: user.id,
      chain: 'STELLAR',
      address: 'G' + 'A'.repeat(55),
      signerKeyId: '00000000-0000-4000-8000-000000000002',
      status: 'PENDING_ACTIVATION',
    });
    const input = {
      key: `activate-${wallet.id}`,
      kind: 'WALLET_ACTIVATION' as const,
      chain: 'STELLAR' as const,
      walletId: wallet.id,
    };
    const [a, b] = await Promise.all([intents.ensure(input), intents.ensure(input)]);
    expect(a.id).toBe(b.id);
    await intents.recordSigned(input.key, {
      sourceAddress: 'GSOURCE',
      envelope: 'AAAA',
      txHash: 'ff',
      amountBase: 20_000_000n,
    });
    expect(await intents.findByKey(input.key)).toMatchObject({
      status: 'SIGNED',
      envelope: 'AAAA',
      txHash: 'ff',
    });
    await intents.discardEnvelope(input.key);
    expect(await intents.findByKey(input.key)).toMatchObject({
      status: 'PENDING',
      envelope: null,
      txHash: null,
    });
    expect(await intents.countAttempt(input.key)).toBe(1);
  });
});

describe('the source account lock', () => {
  it('runs work for one account one at a time, across connections', async () => {
    const lock = createSourceAccountLock(prisma);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        lock.withLock('GTREASURY', async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it('does not serialize different accounts', async () => {
    const lock = createSourceAccountLock(prisma);
    let inside = 0;
    let most = 0;
    await Promise.all(
      ['GA', 'GB', 'GC'].map((account) =>
        lock.withLock(account, async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 50));
          inside--;
        }),
      ),
    );
    expect(most).toBeGreaterThan(1);
  });
});
