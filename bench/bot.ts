// Updates per second for `/help` through the bot's full middleware stack (dedup in Postgres,
// Redis session, i18n, features), against a bare grammY bot with the same Redis session storage.
// Both answer through the same in-process API short-circuit, so neither waits on a network.
// Run: npx tsx bench/bot.ts
import { Bot, session, type Context, type SessionFlavor, type Transformer } from 'grammy';
import type { Update } from 'grammy/types';
import { RedisAdapter } from '@grammyjs/storage-redis';
import { pino } from 'pino';
import { createBot } from '../bot/create-bot.ts';
import type { SessionData } from '../bot/context.ts';
import { createPrismaClient } from '../core/adapters/prisma-client.ts';
import { connectRedis } from '../core/adapters/redis.ts';
import { createUserRepository } from '../core/adapters/user-repository.ts';
import { createWalletRepository } from '../core/adapters/wallet-repository.ts';
import { createUpdateLog } from '../core/adapters/update-log.ts';
import type { EvmNetwork, JobProducer, StellarNetwork } from '../core/ports.ts';
import { createTestDatabase, TEST_REDIS_URL } from '../test/support/database.ts';
import { botUserFor } from '../test/doubles/fake-bot-api.ts';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 5_000);
const IN_FLIGHT = 64;
const TOKEN = '1000:BENCHBENCHBENCHBENCHBENCHBENCHBENCH';
const botInfo = botUserFor(TOKEN, { first_name: 'Bench', username: 'bench_bot' });

/** Answers every Bot API call at once with a plausible Message. */
const shortCircuit: Transformer = async (_prev, _method, payload) =>
  ({
    ok: true,
    result: {
      message_id: 1,
      date: 0,
      chat: { id: (payload as { chat_id?: number }).chat_id ?? 0, type: 'private' },
      text: 'ok',
    },
  }) as never;

function helpUpdate(updateId: number): Update {
  const userId = 10_000 + (updateId % 500);
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: 'private', first_name: 'U' },
      from: { id: userId, is_bot: false, first_name: 'U', language_code: 'en' },
      text: '/help',
      entities: [{ type: 'bot_command', offset: 0, length: 5 }],
    },
  };
}

async function throughput(handle: (update: Update) => Promise<void>, firstId: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < UPDATES) await handle(helpUpdate(firstId + next++));
    }),
  );
  return UPDATES / ((performance.now() - started) / 1000);
}

const database = await createTestDatabase('benchbot');
const prisma = createPrismaClient(database.url, { maxConnections: 20 });
const prefix = `bench-${Date.now()}:`;
const fullRedis = await connectRedis(TEST_REDIS_URL, 'sessions', { keyPrefix: `${prefix}full:` });
const bareRedis = await connectRedis(TEST_REDIS_URL, 'sessions', { keyPrefix: `${prefix}bare:` });
const updates = createUpdateLog(database.url);
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used by /help')) });

const full = createBot(
  TOKEN,
  {
    logger: pino({ level: 'silent' }),
    users: createUserRepository(prisma),
    wallets: createWalletRepository(prisma),
    updates,
    jobs: unused as JobProducer,
    stellar: unused as StellarNetwork,
    evm: unused as EvmNetwork,
    evmChainId: 1,
  },
  { botInfo, sessionStorage: new RedisAdapter<SessionData>({ instance: fullRedis }) },
);
full.api.config.use(shortCircuit);

type BareContext = Context & SessionFlavor<{ language?: string }>;
const bare = new Bot<BareContext>(TOKEN, { botInfo });
bare.api.config.use(shortCircuit);
bare.use(session({ initial: () => ({}), storage: new RedisAdapter({ instance: bareRedis }) }));
bare.command('help', (ctx) => ctx.reply('help'));

// Warm both (JIT, connection pools), then measure alternately so neither gets a quieter machine.
await throughput((u) => full.handleUpdate(u), 1);
await throughput((u) => bare.handleUpdate(u), 1);
const fullRates: number[] = [];
const bareRates: number[] = [];
for (let round = 0; round < 3; round++) {
  fullRates.push(await throughput((u) => full.handleUpdate(u), (round + 1) * 1_000_000));
  bareRates.push(await throughput((u) => bare.handleUpdate(u), (round + 1) * 1_000_000));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const fullRate = median(fullRates);
const bareRate = median(bareRates);
console.log(`bot /help, ${UPDATES} updates x 3 rounds, ${IN_FLIGHT} in flight, median:`);
console.log(`  full middleware stack : ${fullRate.toFixed(0)} updates/s`);
console.log(`  bare grammY + session : ${bareRate.toFixed(0)} updates/s`);
console.log(`  ratio full/bare       : ${(fullRate / bareRate).toFixed(2)} (target >= 0.5)`);

for (const redis of [fullRedis, bareRedis]) {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys.map((key) => key.slice(redis.options.keyPrefix!.length)));
  await redis.quit();
}
await prisma.$disconnect();
await updates.close();
await database.drop();
