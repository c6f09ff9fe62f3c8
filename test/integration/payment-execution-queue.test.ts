/**
 * Payments through real BullMQ queues and two worker instances (each with its own database pool,
 * lock sessions and Redis connection, as two processes would have), with the real status messages
 * edited on the fake Bot API.
 */
import { randomBytes } from 'node:crypto';
import { Keypair } from '@stellar/stellar-sdk';
import { Wallet, getAddress } from 'ethers';
import { Api } from 'grammy';
import { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { connectRedis } from '../../core/adapters/redis.ts';
import { createEvmNetwork } from '../../core/adapters/evm-rpc.ts';
import { createJobProducer, type BullJobProducer } from '../../core/adapters/job-producer.ts';
import { createPaymentIntentRepository } from '../../core/adapters/payment-intent-repository.ts';
import { createUserRepository } from '../../core/adapters/user-repository.ts';
import { createWalletRepository } from '../../core/adapters/wallet-repository.ts';
import { parseStellarAmount } from '../../core/domain/amounts.ts';
import type { PaymentOrder } from '../../core/ports.ts';
import { QUEUE_NAMES } from '../../core/queues.ts';
import { submitPaymentOrder } from '../../core/services/payment-orders.ts';
import { createNotifier } from '../../jobs/notifier.ts';
import { executePaymentHandler } from '../../jobs/processors/execute-payment.ts';
import { paymentsWorkerOptions } from '../../jobs/queues/payments.ts';
import { processorFor } from '../../jobs/run-job.ts';
import { startFakeBotApi, type FakeBotApi } from '../doubles/fake-bot-api.ts';
import { rpcCall } from '../support/evm-chain.ts';
import { TEST_REDIS_URL } from '../support/database.ts';
import {
  intentRow,
  newPayer,
  paymentDeps,
  startPaymentTestEnv,
  type PaymentTestEnv,
} from './payment-execution-support.ts';
import { createWorkerI18n } from '../../jobs/i18n.ts';

let env: PaymentTestEnv;
let telegram: FakeBotApi;
let api: Api;
const i18n = createWorkerI18n();

beforeAll(async () => {
  [env, telegram] = await Promise.all([
    startPaymentTestEnv({ name: 'pay_queue', horizon: true, anvil: true }),
    startFakeBotApi(),
  ]);
  api = new Api(telegram.token, { apiRoot: telegram.url });
});
afterAll(async () => {
  await telegram?.close();
  await env?.close();
});

/** One worker process: its own pool, lock sessions, Redis connection and BullMQ worker. */
async function startWorkerInstance(prefix: string) {
  const prisma: PrismaClient = createPrismaClient(env.databaseUrl);
  const connection: Redis = await connectRedis(TEST_REDIS_URL, 'worker');
  const deps = paymentDeps(env, { prisma });
  deps.status = createNotifier({
    api,
    i18n,
    users: createUserRepository(prisma),
    wallets: createWalletRepository(prisma),
    stellar: deps.stellar,
    evm: createEvmNetwork({ rpcUrl: env.anvil!.url, chainId: env.anvil!.chainId }),
    evmChainId: env.anvil!.chainId,
    stellarNetwork: 'testnet',
    evmExplorerUrl: 'https://explorer.test/',
  });
  const process = processorFor(executePaymentHandler(deps));
  const logger = pino({ level: 'silent' });
  const worker = new Worker(QUEUE_NAMES.payments, (job) => process(job, logger), {
    ...paymentsWorkerOptions,
    connection,
    prefix,
  });
  worker.on('error', () => undefined);
  let completed = 0;
  worker.on('completed', () => void completed++);
  await worker.waitUntilReady();
  return {
    completed: () => completed,
    async stop() {
      await worker.close();
      await connection.quit();
      await prisma.$disconnect();
    },
  };
}

let running: Awaited<ReturnType<typeof startWorkerInstance>>[] = [];
let producer: BullJobProducer | undefined;
let producerRedis: Redis | undefined;
afterEach(async () => {
  await Promise.all(running.map((worker) => worker.stop()));
  running = [];
  await producer?.close();
  await producerRedis?.quit();
  producer = undefined;
  producerRedis = undefined;
});

/** Two worker instances and a producer on a fresh queue prefix. */
async function startQueues() {
  const prefix = `payq-${randomBytes(4).toString('hex')}`;
  running = await Promise.all([startWorkerInstance(prefix), startWorkerInstance(prefix)]);
  producerRedis = await connectRedis(TEST_REDIS_URL, 'producer');
  producer = createJobProducer(producerRedis, { prefix });
  return producer;
}

/** The status message the bot turned the Confirm summary into, in the payer's private chat. */
async function statusMessage(telegramId: bigint) {
  const chatId = Number(telegramId);
  telegram.sendUserMessage({ from: { id: chatId, first_name: 'Payer' }, text: '/send' });
  const message = await api.sendMessage(chatId, 'Signing…');
  return { statusChatId: telegramId, statusMessageId: message.message_id };
}

/**
 * Waits until every intent is final and every job has completed: a job records the intent before
 * its last status edit, so a final row alone does not mean the message has its final text yet.
 */
async function waitForPayments(keys: string[], timeoutMs = 25_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await env.prisma.chainIntent.findMany({ where: { key: { in: keys } } });
    const completed = running.reduce((sum, worker) => sum + worker.completed(), 0);
    const final = rows.every((row) => row.status === 'CONFIRMED' || row.status === 'FAILED');
    if (final && completed >= keys.length) return rows;
    if (Date.now() > deadline)
      throw new Error(
        `payments still open: ${rows.map((row) => row.status).join(',')}, ${completed} jobs done`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('20 Stellar payments from one account queued at once on two workers', () => {
  it('lands every one exactly once, without a single stale-sequence retry', async () => {
    const horizon = env.horizon!;
    const jobs = await startQueues();
    const payer = await newPayer(env, { xlm: '1000' }, 'es');
    const recipient = Keypair.random().publicKey();
    horizon.createAccount(recipient, '10');
    const paymentIntents = createPaymentIntentRepository(env.prisma);
    const orders: PaymentOrder[] = [];
    for (let index = 1; index <= 20; index++) {
      orders.push({
        key: `pay-q${randomBytes(8).toString('hex')}`,
        userId: payer.userId,
        walletId: payer.stellar.id,
        asset: { chain: 'STELLAR', code: 'XLM', issuer: null },
        amountBase: parseStellarAmount(String(index)),
        destination: recipient,
        recipientUserId: null,
        memo: null,
        invoiceId: null,
        ...(await statusMessage(payer.telegramId)),
      });
    }
    const submissionsBefore = horizon
      .requests()
      .filter((request) => request.method === 'POST' && request.path === '/transactions').length;

    await Promise.all(orders.map((order) => submitPaymentOrder(order, { paymentIntents, jobs })));
    const rows = await waitForPayments(orders.map((order) => order.key));

    expect(rows.map((row) => row.status)).toEqual(Array(20).fill('CONFIRMED'));
    const landed = horizon.transactions().filter((tx) => tx.sourceAccount === payer.stellar.address);
    expect(landed).toHaveLength(20);
    expect(landed.every((tx) => tx.successful)).toBe(true);
    expect(new Set(rows.map((row) => row.txHash))).toEqual(new Set(landed.map((tx) => tx.hash)));
    // 1 + 2 + ... + 20 = 210 XLM, each paid once.
    expect(horizon.account(recipient)!.balance).toBe(parseStellarAmount('220'));
    const submissions =
      horizon.requests().filter((request) => request.method === 'POST' && request.path === '/transactions')
        .length - submissionsBefore;
    expect(submissions).toBe(20);
    // Both worker instances took part: the lock, not luck, kept them apart.
    expect(running.map((worker) => worker.completed() > 0)).toEqual([true, true]);

    // Each status message ends confirmed, in the payer's language, with a link to the explorer.
    const messages = telegram.sentMessages(Number(payer.telegramId));
    for (const [index, order] of orders.entries()) {
      const row = rows.find((entry) => entry.key === order.key)!;
      const message = messages.find((entry) => entry.messageId === order.statusMessageId)!;
      expect(message.text).toContain(`Enviaste ${index + 1} XLM a ${recipient}`);
      const link = message.entities.find((entity) => entity.type === 'text_link');
      expect(link && 'url' in link ? link.url : undefined).toBe(
        `https://stellar.expert/explorer/testnet/tx/${row.txHash}`,
      );
    }
  });
});

describe('10 EVM payments from one account queued at once on two workers', () => {
  it('mines every one exactly once at consecutive nonces', async () => {
    const jobs = await startQueues();
    const payer = await newPayer(env, { wei: 10n ** 19n });
    const recipient = getAddress(Wallet.createRandom().address);
    const paymentIntents = createPaymentIntentRepository(env.prisma);
    const orders: PaymentOrder[] = [];
    for (let index = 1; index <= 10; index++) {
      orders.push({
        key: `pay-e${randomBytes(8).toString('hex')}`,
        userId: payer.userId,
        walletId: payer.evm.id,
        asset: { chain: 'EVM', chainId: env.anvil!.chainId, code: 'ETH', issuer: null },
        amountBase: BigInt(index) * 10n ** 15n,
        destination: recipient,
        recipientUserId: null,
        memo: null,
        invoiceId: null,
        ...(await statusMessage(payer.telegramId)),
      });
    }
    await Promise.all(orders.map((order) => submitPaymentOrder(order, { paymentIntents, jobs })));
    const rows = await waitForPayments(orders.map((order) => order.key));

    expect(rows.map((row) => row.status)).toEqual(Array(10).fill('CONFIRMED'));
    expect(rows.map((row) => Number(row.evmNonce)).sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    const nonce = (await rpcCall(env.anvil!.url, 'eth_getTransactionCount', [
      payer.evm.address,
      'latest',
    ])) as string;
    expect(Number(BigInt(nonce))).toBe(10);
    const balance = (await rpcCall(env.anvil!.url, 'eth_getBalance', [recipient, 'latest'])) as string;
    expect(BigInt(balance)).toBe(55n * 10n ** 15n);

    const row = await intentRow(env, orders[0]!.key);
    const message = telegram
      .sentMessages(Number(payer.telegramId))
      .find((entry) => entry.messageId === orders[0]!.statusMessageId)!;
    expect(message.text).toContain(`Sent 0.001 ETH to ${recipient}`);
    const link = message.entities.find((entity) => entity.type === 'text_link');
    expect(link && 'url' in link ? link.url : undefined).toBe(`https://explorer.test/tx/${row.txHash}`);
  });
});

describe('the status message', () => {
  async function reporter() {
    const payer = await newPayer(env, {});
    const notifier = createNotifier({
      api,
      i18n,
      users: createUserRepository(env.prisma),
      wallets: createWalletRepository(env.prisma),
      stellar: paymentDeps(env).stellar,
      evm: createEvmNetwork({ rpcUrl: env.anvil!.url, chainId: env.anvil!.chainId }),
      evmChainId: env.anvil!.chainId,
      stellarNetwork: 'custom',
    });
    const order: PaymentOrder = {
      key: 'pay-status',
      userId: payer.userId,
      walletId: payer.stellar.id,
      asset: { chain: 'STELLAR', code: 'XLM', issuer: null },
      amountBase: parseStellarAmount('2.5'),
      destination: Keypair.random().publicKey(),
      recipientUserId: null,
      memo: null,
      invoiceId: null,
      ...(await statusMessage(payer.telegramId)),
    };
    const current = () =>
      telegram
        .sentMessages(Number(order.statusChatId))
        .find((entry) => entry.messageId === order.statusMessageId)!;
    return { notifier, order, current };
  }

  it('takes the same update twice without an error, editing once', async () => {
    const { notifier, order, current } = await reporter();
    const update = { stage: 'submitted', txHash: 'ab'.repeat(32) } as const;
    await notifier.reportPayment(order, update);
    await notifier.reportPayment(order, update);
    expect(current().edits).toBe(1);
    // A custom Stellar network has no public explorer, so no link.
    expect(current().entities.some((entity) => entity.type === 'text_link')).toBe(false);
  });

  it('shows why a payment failed', async () => {
    const { notifier, order, current } = await reporter();
    await notifier.reportPayment(order, { stage: 'failed', reason: 'destination-no-trustline' });
    expect(current().text).toContain('Payment of 2.5 XLM');
    expect(current().text).toContain('needs a trustline');
  });

  it('reports a message that is gone as permanent', async () => {
    const { notifier, order } = await reporter();
    await api.deleteMessage(Number(order.statusChatId), order.statusMessageId);
    await expect(notifier.reportPayment(order, { stage: 'signing' })).rejects.toMatchObject({
      code: 'RECIPIENT_UNREACHABLE',
    });
  });
});
