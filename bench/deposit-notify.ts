// Payment seen by the watcher → notification sendMessage issued, at a steady rate of payments from
// outside into platform wallets: the Horizon double streams them over SSE, the live watcher records
// them through the deposit sink (Postgres) and queues a notification (BullMQ on Redis), the
// worker's send-notification processor renders it and calls the fake Bot API. Latency runs from
// the moment the watcher receives the SSE record to the moment the fake Bot API receives
// sendMessage; the time from submission to the Horizon double is printed too (it adds the SSE hop).
//
// Everything runs in this one process (double, watcher, worker, fake Bot API), so they share one
// CPU. Envelopes are signed before the clock starts. The notification worker runs with the
// production concurrency but WITHOUT its 25 messages/s limiter (Telegram's own bulk limit is about
// 30/s): at 100/s the limiter alone would queue messages for ever, which is a Telegram quota,
// not a latency of this code. Run: npx tsx bench/deposit-notify.ts
import { randomBytes, randomUUID } from 'node:crypto';
import { Account, Asset, Keypair, Operation, TransactionBuilder } from '@stellar/stellar-sdk';
import { Worker } from 'bullmq';
import { Api } from 'grammy';
import pg from 'pg';
import { pino } from 'pino';
import {
  createDepositNoticeReader,
  createDepositRepository,
  createWatcherCursorStore,
} from '../core/adapters/deposit-repository.ts';
import { createJobProducer } from '../core/adapters/job-producer.ts';
import { connectRedis } from '../core/adapters/redis.ts';
import { createHorizonPaymentFeed } from '../core/adapters/stellar-horizon.ts';
import { formatStroops, parseStellarAmount } from '../core/domain/amounts.ts';
import { QUEUE_NAMES } from '../core/queues.ts';
import { createDepositSink } from '../core/services/deposits.ts';
import { createStellarWatcher, type StellarPaymentFeed } from '../core/services/stellar-watcher.ts';
import type { WorkerDeps } from '../jobs/deps.ts';
import { createDepositNotices, sendNotificationHandler } from '../jobs/processors/send-notification.ts';
import { notificationsWorkerOptions } from '../jobs/queues/notifications.ts';
import { processorFor } from '../jobs/run-job.ts';
import { startFakeBotApi } from '../test/doubles/fake-bot-api.ts';
import { startHorizonDouble } from '../test/doubles/horizon-double.ts';
import { createTestDatabase, TEST_REDIS_URL } from '../test/support/database.ts';
import { createWorkerI18n } from '../jobs/i18n.ts';

const RATE = Number(process.env.BENCH_PAYMENTS_PER_SECOND ?? 100);
const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 3_000);
const WARMUP = Math.min(200, Math.floor(PAYMENTS / 10));
const USERS = 200;
const logger = pino({ level: 'silent' });

const database = await createTestDatabase('benchnotify');
const pool = new pg.Pool({ connectionString: database.url, max: 8 });
// Dropping the database at the end ends connections that are still closing.
pool.on('error', () => undefined);
const [horizon, telegram] = await Promise.all([startHorizonDouble(), startFakeBotApi()]);
const prefix = `bench-notify-${randomBytes(4).toString('hex')}`;
const producerRedis = await connectRedis(TEST_REDIS_URL, 'producer');
const workerRedis = await connectRedis(TEST_REDIS_URL, 'worker');
const jobs = createJobProducer(producerRedis, { prefix });

// Platform users, each with a Stellar wallet and a private chat.
const owners: Keypair[] = [];
for (let i = 0; i < USERS; i++) {
  const keypair = Keypair.random();
  horizon.createAccount(keypair.publicKey(), '10');
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (telegram_id, language_code, updated_at) VALUES ($1, $2, now()) RETURNING id::text`,
    [9_000_000 + i, i % 2 ? 'es' : 'en'],
  );
  await pool.query(
    `INSERT INTO wallets (id, user_id, chain, address, signer_key_id, status) VALUES ($1, $2, 'STELLAR', $3, $4, 'ACTIVE')`,
    [randomUUID(), rows[0]!.id, keypair.publicKey(), randomUUID()],
  );
  telegram.addChat({ id: 9_000_000 + i, type: 'private', first_name: 'U' });
  owners.push(keypair);
}

// Signed in advance: payment i carries 0.1 XLM + i stroops, which names it in the message text.
const payer = Keypair.random();
horizon.createAccount(payer.publicKey(), '100000');
const sequence = horizon.account(payer.publicKey())!.sequence;
const amountOf = (i: number) => 1_000_000n + BigInt(i);
const envelopes = Array.from({ length: PAYMENTS }, (_, i) => {
  const tx = new TransactionBuilder(new Account(payer.publicKey(), (sequence + BigInt(i)).toString()), {
    fee: horizon.baseFee.toString(),
    networkPassphrase: horizon.passphrase,
  })
    .addOperation(
      Operation.payment({
        destination: owners[i % USERS]!.publicKey(),
        asset: Asset.native(),
        amount: formatStroops(amountOf(i)),
      }),
    )
    .setTimeout(0)
    .build();
  tx.sign(payer);
  return tx.toXDR();
});

// The watcher's feed, with the moment each record reaches the watcher noted.
const receivedAt = new Map<bigint, number>();
const horizonFeed = createHorizonPaymentFeed({ horizonUrl: horizon.url });
const feed: StellarPaymentFeed = {
  ledgerBounds: () => horizonFeed.ledgerBounds(),
  range: (from, to) => horizonFeed.range(from, to),
  async *stream(cursor, options) {
    for await (const batch of horizonFeed.stream(cursor, options)) {
      const now = performance.timeOrigin + performance.now();
      for (const item of batch) if (item.payment) receivedAt.set(item.payment.amount, now);
      yield batch;
    }
  },
};
const sink = createDepositSink({ store: createDepositRepository(pool), jobs, knownTokens: [], logger });
const watcher = createStellarWatcher({ feed, sink, cursors: createWatcherCursorStore(pool), logger });

const notices = createDepositNotices({
  api: new Api(telegram.token, { apiRoot: telegram.url }),
  i18n: createWorkerI18n(),
  reader: createDepositNoticeReader(pool),
  knownTokens: [],
});
const process_ = processorFor(sendNotificationHandler({ logger } as WorkerDeps, notices));
const { limiter: _productionLimiter, ...workerOptions } = notificationsWorkerOptions;
const worker = new Worker(QUEUE_NAMES.notifications, (job) => process_(job, logger), {
  ...workerOptions,
  connection: workerRedis,
  prefix,
});
await worker.waitUntilReady();
await watcher.start();

const submittedAt = new Map<bigint, number>();
const started = performance.now();
await new Promise<void>((resolve) => {
  let next = 0;
  const tick = () => {
    // Catch up to the schedule: payment i is due at i / RATE seconds.
    const due = Math.min(PAYMENTS, Math.floor(((performance.now() - started) / 1000) * RATE) + 1);
    for (; next < due; next++) {
      submittedAt.set(amountOf(next), performance.timeOrigin + performance.now());
      const result = horizon.submit(envelopes[next]!);
      if (result.status !== 'included' || !result.transaction.successful)
        throw new Error(`payment ${next} failed`);
    }
    if (next < PAYMENTS) setTimeout(tick, 2);
    else resolve();
  };
  tick();
});
const sendDuration = (performance.now() - started) / 1000;

const amountPattern = /<b>([\d.]+) XLM<\/b>/;
const deadline = Date.now() + 60_000;
while (telegram.calls('sendMessage').length < PAYMENTS && Date.now() < deadline)
  await new Promise((resolve) => setTimeout(resolve, 50));

const fromWatcher: number[] = [];
const fromSubmission: number[] = [];
for (const call of telegram.calls('sendMessage')) {
  const amount = amountPattern.exec(String(call.params.text))?.[1];
  if (!amount) continue;
  const stroops = parseStellarAmount(amount);
  const i = Number(stroops - 1_000_000n);
  if (i < WARMUP) continue;
  fromWatcher.push(call.time - receivedAt.get(stroops)!);
  fromSubmission.push(call.time - submittedAt.get(stroops)!);
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const line = (name: string, values: number[]) =>
  console.log(
    `${name}: p50 ${percentile(values, 50).toFixed(1)} ms, p90 ${percentile(values, 90).toFixed(1)} ms, ` +
      `p99 ${percentile(values, 99).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`,
  );
console.log(
  `${PAYMENTS} payments at ${(PAYMENTS / sendDuration).toFixed(0)}/s (target ${RATE}/s) into ${USERS} wallets; ` +
    `${telegram.calls('sendMessage').length} messages sent; first ${WARMUP} not measured`,
);
line('watcher received → sendMessage', fromWatcher);
line('submitted to Horizon → sendMessage', fromSubmission);

await watcher.stop();
await worker.close();
await jobs.close();
await Promise.all([producerRedis.quit(), workerRedis.quit()]);
await Promise.all([horizon.close(), telegram.close()]);
await pool.end();
await database.drop();
