// Updates per second for `/help` through the bot's full middleware stack (dedup in Postgres,
// Redis session, i18n, features), against a bare grammY bot with the same Redis session storage.
// Both answer through the same in-process API short-circuit, so neither waits on a network.
// Run: npx tsx bench/bot.ts (BENCH_UPDATES per round, BENCH_ROUNDS pairs of rounds)
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
import type {
  EvmNetwork,
  InvoiceRepository,
  NotificationOutbox,
  JobProducer,
  PaymentIntentRepository,
  PendingActionRepository,
  StellarNetwork,
} from '../core/ports.ts';
import { createTestDatabase, TEST_REDIS_URL } from '../test/support/database.ts';
import { botUserFor } from '../test/doubles/fake-bot-api.ts';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 5_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// The same for both bots. Enough for the update log to batch claims (about 50 per insert); the
// runner's default of 500 only adds garbage-collection work to both.
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

/** Updates per second, and this process's CPU time per update (µs) while they ran. */
async function throughput(
  handle: (update: Update) => Promise<void>,
  firstId: number,
): Promise<{ rate: number; cpu: number }> {
  let next = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < UPDATES) await handle(helpUpdate(firstId + next++));
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return {
    rate: UPDATES / ((performance.now() - started) / 1000),
    cpu: (cpu.user + cpu.system) / UPDATES,
  };
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
    evmTokens: [],
    pendingActions: unused as PendingActionRepository,
    paymentIntents: unused as PaymentIntentRepository,
    confirmTtlSeconds: 300,
    invoices: unused as InvoiceRepository,
    notificationOutbox: unused as NotificationOutbox,
    invoiceTtlMinutes: 60,
    publicUrl: null,
  },
  { botInfo, sessionStorage: new RedisAdapter<SessionData>({ instance: fullRedis }) },
);
full.api.config.use(shortCircuit);

type BareContext = Context & SessionFlavor<{ language?: string }>;
const bare = new Bot<BareContext>(TOKEN, { botInfo });
bare.api.config.use(shortCircuit);
bare.use(session({ initial: () => ({}), storage: new RedisAdapter({ instance: bareRedis }) }));
bare.command('help', (ctx) => ctx.reply('help'));

// Warm both (JIT, connection pools), then measure in pairs, alternating which goes first, so a
// busier moment of the machine hits both; the ratio is taken per pair, then the median.
await throughput((u) => full.handleUpdate(u), 1);
await throughput((u) => bare.handleUpdate(u), 1);
type Measure = { rate: number; cpu: number };
const rounds: { full: Measure; bare: Measure }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const firstId = (round + 1) * 1_000_000;
  const measureFull = () => throughput((u) => full.handleUpdate(u), firstId);
  const measureBare = () => throughput((u) => bare.handleUpdate(u), firstId);
  if (round % 2 === 0) {
    const fullMeasure = await measureFull();
    rounds.push({ full: fullMeasure, bare: await measureBare() });
  } else {
    const bareMeasure = await measureBare();
    rounds.push({ full: await measureFull(), bare: bareMeasure });
  }
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`bot /help, ${UPDATES} updates x ${ROUNDS} rounds, ${IN_FLIGHT} in flight for both:`);
for (const [index, { full: f, bare: b }] of rounds.entries()) {
  console.log(
    `  round ${index + 1}: full ${f.rate.toFixed(0)}/s (${f.cpu.toFixed(1)} µs CPU each), ` +
      `bare ${b.rate.toFixed(0)}/s (${b.cpu.toFixed(1)} µs), ratio ${(f.rate / b.rate).toFixed(2)}`,
  );
}
const summary = (measures: Measure[]) =>
  `${median(measures.map((m) => m.rate)).toFixed(0)} updates/s, ${median(measures.map((m) => m.cpu)).toFixed(1)} µs CPU per update (medians)`;
console.log(`  full middleware stack : ${summary(rounds.map((r) => r.full))}`);
console.log(`  bare grammY + session : ${summary(rounds.map((r) => r.bare))}`);
console.log(
  `  ratio full/bare       : ${median(rounds.map((r) => r.full.rate / r.bare.rate)).toFixed(2)} (median of the rounds; target >= 0.5)`,
);

for (const redis of [fullRedis, bareRedis]) {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys.map((key) => key.slice(redis.options.keyPrefix!.length)));
  await redis.quit();
}
await prisma.$disconnect();
await updates.close();
await database.drop();
