/**
 * The notification outbox: an announcement committed with the deposit (or Stars payment) it
 * announces is sent once, whether the process stops before queueing it, after queueing it but
 * before releasing it, or the queue is down; and a transfer credited again after a reorg is
 * announced again, under its new revision.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Wallet as EvmWallet } from 'ethers';
import { Api } from 'grammy';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDepositNoticeReader,
  createDepositRepository,
} from '../../core/adapters/deposit-repository.ts';
import { createInvoiceRepository } from '../../core/adapters/invoice-repository.ts';
import { createNotificationOutbox, pgRunner } from '../../core/adapters/notification-outbox.ts';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { connectRedis } from '../../core/adapters/redis.ts';
import type { JobProducer, Notification } from '../../core/ports.ts';
import { QUEUE_NAMES } from '../../core/queues.ts';
import { createDepositSink, type DepositStore } from '../../core/services/deposits.ts';
import { OUTBOX_GRACE_MS, requeueStaleNotifications } from '../../core/services/notification-outbox.ts';
import { createWorkerI18n } from '../../jobs/i18n.ts';
import { createDepositNotices } from '../../jobs/processors/send-notification.ts';
import { startFakeBotApi, type FakeBotApi } from '../doubles/fake-bot-api.ts';
import { createTestDatabase, createTestPool, TEST_REDIS_URL } from '../support/database.ts';
import { startDepositNoticeWorker, type DepositNoticeWorker } from '../support/deposit-notices.ts';
import { evmTransferTo, TEST_KNOWN_TOKENS } from '../support/evm-deposits.ts';

const logger = pino({ level: 'silent' });
const KNOWN_TOKENS = TEST_KNOWN_TOKENS;
const prefix = `test-outbox-${randomBytes(4).toString('hex')}`;

let drop: () => Promise<void>;
let pool: pg.Pool;
let prisma: PrismaClient;
let telegram: FakeBotApi;
let notices: DepositNoticeWorker;
let queue: Queue;
let queueRedis: Redis;
let nextTelegramId = 8_600_000;

beforeAll(async () => {
  const database = await createTestDatabase('outbox');
  drop = database.drop;
  pool = createTestPool(database.url, 4);
  prisma = createPrismaClient(database.url);
  telegram = await startFakeBotApi();
  notices = await startDepositNoticeWorker({ pool, telegram, prefix, knownTokens: KNOWN_TOKENS, logger });
  queueRedis = await connectRedis(TEST_REDIS_URL, 'producer');
  queue = new Queue(QUEUE_NAMES.notifications, { connection: queueRedis, prefix });
});

afterAll(async () => {
  await notices?.stop();
  await queue?.close();
  await queueRedis?.quit();
  await telegram?.close();
  await prisma?.$disconnect();
  await pool?.end();
  await drop?.();
});

async function evmWalletOwner(): Promise<{
  telegramId: number;
  userId: bigint;
  walletId: string;
  address: string;
}> {
  const telegramId = nextTelegramId++;
  const address = EvmWallet.createRandom().address;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (telegram_id, language_code, updated_at) VALUES ($1, 'en', now()) RETURNING id::text`,
    [telegramId],
  );
  const walletId = randomUUID();
  await pool.query(
    `INSERT INTO wallets (id, user_id, chain, address, signer_key_id, status)
     VALUES ($1, $2, 'EVM', $3, $4, 'ACTIVE')`,
    [walletId, rows[0]!.id, address, randomUUID()],
  );
  telegram.addChat({ id: telegramId, type: 'private', first_name: 'Owner' });
  return { telegramId, userId: BigInt(rows[0]!.id), walletId, address };
}

const transferTo = (owner: { walletId: string; address: string }, amountBase = 2_500_000n) =>
  evmTransferTo(owner, { amountBase });

const outboxRows = async () =>
  (
    await pool.query<{ id: string; payloads: Notification[] }>(
      'SELECT id::text, payloads FROM notification_outbox',
    )
  ).rows;

const messagesTo = (telegramId: number) => telegram.sentMessages(telegramId).map((message) => message.text);

/** Waits until the notifications queue has nothing waiting, delayed or running. */
async function queueDrained(): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    if (Object.values(counts).every((count) => count === 0)) return;
    if (Date.now() > deadline) throw new Error(`notifications still queued: ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sweep = () =>
  requeueStaleNotifications(
    { jobs: notices.jobs, outbox: createNotificationOutbox(pgRunner(pool), logger), logger },
    { now: new Date(Date.now() + OUTBOX_GRACE_MS + 1_000) },
  );

const failingQueue: Pick<JobProducer, 'notify'> = {
  notify: async () => {
    throw new Error('Redis is down');
  },
};

describe('the notification outbox', () => {
  it('keeps the notice when the queue cannot take it, and the sweeper has it sent once', async () => {
    const owner = await evmWalletOwner();
    const sink = createDepositSink({
      store: createDepositRepository(pool),
      jobs: failingQueue,
      knownTokens: KNOWN_TOKENS,
      logger,
      notifyRetryMs: 1,
    });
    const transfer = transferTo(owner);

    const { recorded } = await sink.record([transfer], { status: 'CREDITED' });

    // The deposit is credited whatever the queue does; its notice waits in the outbox.
    expect(recorded).toEqual([expect.objectContaining({ status: 'CREDITED', revision: 0 })]);
    expect((await outboxRows()).map((row) => row.payloads)).toEqual([
      [{ kind: 'deposit-received', depositId: recorded[0]!.id, revision: 0 }],
    ]);
    expect(messagesTo(owner.telegramId)).toEqual([]);

    // Within the grace period the sweeper leaves it to the process that wrote it.
    const early = await requeueStaleNotifications(
      { jobs: notices.jobs, outbox: createNotificationOutbox(pgRunner(pool), logger), logger },
      { now: new Date() },
    );
    expect(early).toEqual({ requeued: 0, left: 0 });

    expect(await sweep()).toEqual({ requeued: 1, left: 0 });
    await queueDrained();
    expect(messagesTo(owner.telegramId)).toEqual([expect.stringContaining('You received 2.5 USDC')]);
    expect(await outboxRows()).toEqual([]);
    expect(await sweep()).toEqual({ requeued: 0, left: 0 });
  });

  it('sends once when the process stopped after queueing but before releasing the row', async () => {
    const owner = await evmWalletOwner();
    const repository = createDepositRepository(pool);
    const stopsBeforeRelease: DepositStore = {
      ...repository,
      releaseNotifications: async () => {
        throw new Error('process stopped');
      },
    };
    const sink = createDepositSink({
      store: stopsBeforeRelease,
      jobs: notices.jobs,
      knownTokens: KNOWN_TOKENS,
      logger,
      notifyAttempts: 1,
    });

    await sink.record([transferTo(owner)], { status: 'CREDITED' });
    await queueDrained();
    expect(await outboxRows()).toHaveLength(1);

    expect(await sweep()).toEqual({ requeued: 1, left: 0 });
    await queueDrained();
    // The job id names the deposit and its revision: the requeued notice is the same job.
    expect(messagesTo(owner.telegramId)).toEqual([expect.stringContaining('You received 2.5 USDC')]);
    expect(await outboxRows()).toEqual([]);
  });

  it('tells the owner again when a transfer reversed by a reorg is credited anew', async () => {
    const owner = await evmWalletOwner();
    const sink = createDepositSink({
      store: createDepositRepository(pool),
      jobs: notices.jobs,
      knownTokens: KNOWN_TOKENS,
      logger,
    });
    const transfer = transferTo(owner, 7_000_000n);

    await sink.record([transfer], { status: 'PENDING' });
    const [first] = await sink.credit([transfer.eventKey]);
    await queueDrained();
    await sink.reverse([transfer.eventKey]);
    await queueDrained();
    const remined = { ...transfer, height: 104n, blockHash: `0x${randomBytes(32).toString('hex')}` };
    await sink.record([remined], { status: 'PENDING' });
    const [second] = await sink.credit([transfer.eventKey]);
    await queueDrained();

    expect(first).toMatchObject({ revision: 0 });
    expect(second).toMatchObject({ id: first!.id, revision: 1 });
    const texts = messagesTo(owner.telegramId);
    expect(texts).toHaveLength(3);
    expect(texts[0]).toContain('You received 7 USDC');
    expect(texts[1]).toContain('7 USDC');
    expect(texts[1]).not.toContain('You received');
    expect(texts[2]).toContain('You received 7 USDC');
    expect(await outboxRows()).toEqual([]);
  });

  it('does not announce a credit that a later revision of the deposit superseded', async () => {
    const owner = await evmWalletOwner();
    const sink = createDepositSink({
      store: createDepositRepository(pool),
      jobs: { notify: async () => undefined },
      knownTokens: KNOWN_TOKENS,
      logger,
    });
    const transfer = transferTo(owner);
    await sink.record([transfer], { status: 'CREDITED' });
    await sink.reverse([transfer.eventKey]);
    const { recorded } = await sink.record([{ ...transfer, height: 105n }], { status: 'CREDITED' });
    const sender = createDepositNotices({
      api: new Api(telegram.token, { apiRoot: telegram.url }),
      i18n: createWorkerI18n(),
      reader: createDepositNoticeReader(pool),
      knownTokens: KNOWN_TOKENS,
    });

    await sender.send({ kind: 'deposit-received', depositId: recorded[0]!.id, revision: 0 }, logger);
    expect(messagesTo(owner.telegramId)).toEqual([]);
    await sender.send({ kind: 'deposit-received', depositId: recorded[0]!.id, revision: 1 }, logger);
    expect(messagesTo(owner.telegramId)).toEqual([expect.stringContaining('You received 2.5 USDC')]);
  });

  it('commits the payee notice of a Stars payment with the payment, once per charge', async () => {
    const payee = await evmWalletOwner();
    const invoices = createInvoiceRepository(prisma);
    const invoice = await prisma.invoice.create({
      data: {
        slug: randomBytes(9).toString('base64url'),
        payeeUserId: payee.userId,
        rail: 'STARS',
        assetCode: 'XTR',
        amountBase: '50',
        description: 'stickers',
        expiresAt: new Date(Date.now() + 3600_000),
      },
    });
    const payment = {
      chargeId: `charge-${randomBytes(6).toString('hex')}`,
      invoiceId: invoice.id,
      payerTelegramId: 9_999n,
      payerUserId: null,
      amount: 50n,
      now: new Date(),
    };

    const first = await invoices.recordStarPayment(payment);
    const again = await invoices.recordStarPayment(payment);

    expect(first).toMatchObject({ credited: true, settled: true });
    expect(first.staged?.payloads).toEqual([{ kind: 'invoice-paid', invoiceId: invoice.id }]);
    expect(again).toEqual({ credited: false, settled: false, staged: null });
    expect((await outboxRows()).map((row) => row.id)).toEqual([first.staged!.id]);
    await createNotificationOutbox(pgRunner(pool), logger).release([first.staged!.id]);
    expect(await outboxRows()).toEqual([]);
  });
});
