import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JsonRpcProvider, Wallet, parseEther, type TransactionRequest } from 'ethers';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEvmNetwork, type EvmRpcNetwork } from '../../core/adapters/evm-rpc.ts';
import { createEvmWatcherStore } from '../../core/adapters/evm-watcher-store.ts';
import { createLeaderLock } from '../../core/adapters/leader-lock.ts';
import { createDepositRepository } from '../../core/adapters/deposit-repository.ts';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { evmDepositKey } from '../../core/domain/intent-keys.ts';
import type { KnownToken } from '../../core/domain/tokens.ts';
import type { Notification } from '../../core/ports.ts';
import type { LeaderLock } from '../../core/services/leadership.ts';
import { createDepositSink, type DepositSink } from '../../core/services/deposits.ts';
import {
  createEvmWatcher,
  evmWatcherName,
  resyncEvmBlocks,
  type EvmWatcher,
  type EvmWatcherDeps,
} from '../../core/services/evm-watcher.ts';
import { runResyncEvm } from '../../scripts/resync-evm.ts';
import { startAnvil, type AnvilNode } from '../support/anvil.ts';
import { TEST_REDIS_URL, createTestDatabase, createTestPool } from '../support/database.ts';
import { deployTestToken, testTokenArtifact, type TestToken } from '../support/erc20.ts';
import { blockNumber, fundedWallet, mine, reorg, revertTo, sendRaw, snapshot } from '../support/evm-chain.ts';

const CHAIN_ID = 31_341;
const CONFIRMATIONS = 2;

let anvil: AnvilNode;
let chain: EvmRpcNetwork;
let provider: JsonRpcProvider;
let prisma: PrismaClient;
let pool: pg.Pool;
let drop: () => Promise<void>;
let databaseUrl: string;
let payer: Wallet;
let usdc: TestToken;
let lookAlike: TestToken;
let tokens: KnownToken[];
let sink: DepositSink;
/** This test process's hold on the chain, shared by its watchers as one worker process's are. */
let lock: LeaderLock;
const notified: Notification[] = [];
const silent = pino({ level: 'silent' });

function watcherDeps(overrides: Partial<EvmWatcherDeps['settings']> = {}): EvmWatcherDeps {
  return {
    chain,
    sink,
    store: createEvmWatcherStore(prisma, { lock }),
    logger: silent,
    settings: { chainId: CHAIN_ID, confirmations: CONFIRMATIONS, tokens, pollIntervalMs: 50, ...overrides },
  };
}

/** A platform user with an EVM wallet (no signer involved: the watcher only needs the address). */
async function platformWallet(): Promise<{ userId: bigint; walletId: string; address: string }> {
  const address = Wallet.createRandom().address;
  const user = await prisma.user.create({
    data: { telegramId: BigInt(`0x${randomBytes(6).toString('hex')}`), languageCode: 'en' },
  });
  const wallet = await prisma.wallet.create({
    data: {
      userId: user.id,
      chain: 'EVM',
      address,
      signerKeyId: randomBytes(16).toString('hex'),
      status: 'ACTIVE',
    },
  });
  return { userId: user.id, walletId: wallet.id, address };
}

async function sendNative(to: string, value: bigint): Promise<{ hash: string; blockNumber: number }> {
  const receipt = await (await payer.connect(provider).sendTransaction({ to, value })).wait();
  return { hash: receipt!.hash, blockNumber: receipt!.blockNumber };
}

/** A signed native transfer not yet sent, to replay it into another branch with the same hash. */
async function signNative(to: string, value: bigint): Promise<string> {
  const signer = payer.connect(provider);
  const request: TransactionRequest = await signer.populateTransaction({ to, value });
  return signer.signTransaction(request);
}

const depositByTx = (txHash: string) =>
  prisma.chainDeposit.findFirst({ where: { txHash: txHash.toLowerCase() } });
const notificationsOf = (depositId: string) =>
  notified.filter((note) => 'depositId' in note && note.depositId === depositId).map((note) => note.kind);

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value, bigintJson)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
const bigintJson = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

async function createInvoice(payee: { userId: bigint; address: string }, token: TestToken, amount: bigint) {
  return prisma.invoice.create({
    data: {
      slug: randomBytes(9).toString('base64url'),
      payeeUserId: payee.userId,
      rail: 'EVM',
      chainId: CHAIN_ID,
      assetCode: token.symbol,
      assetIssuer: token.address,
      amountBase: amount.toString(),
      description: 'coffee beans',
      payeeAddress: payee.address,
      expiresAt: new Date(Date.now() + 3_600_000),
    },
  });
}

beforeAll(async () => {
  const starting = startAnvil({ chainId: CHAIN_ID });
  const database = createTestDatabase('evmwatch');
  // Compiling the test token is CPU work; do it while anvil boots and migrations run.
  testTokenArtifact();
  anvil = await starting;
  const { url } = await database;
  databaseUrl = url;
  drop = (await database).drop;
  prisma = createPrismaClient(url);
  pool = createTestPool(url, 4);
  lock = createLeaderLock({ connectionString: url, name: evmWatcherName(CHAIN_ID), logger: silent });
  chain = createEvmNetwork({ rpcUrl: anvil.url, chainId: CHAIN_ID });
  provider = new JsonRpcProvider(anvil.url, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
  payer = await fundedWallet(anvil.url);
  usdc = await deployTestToken(anvil.url, payer.privateKey, { symbol: 'USDC', decimals: 6 });
  lookAlike = await deployTestToken(anvil.url, payer.privateKey, { symbol: 'USDC', decimals: 6 });
  await usdc.mint(payer.address, 1_000_000_000n);
  await lookAlike.mint(payer.address, 1_000_000_000n);
  tokens = [{ symbol: 'USDC', address: usdc.address, decimals: 6 }];
  sink = createDepositSink({
    store: createDepositRepository(pool),
    jobs: { notify: async (notification) => void notified.push(notification) },
    knownTokens: tokens,
    logger: silent,
  });
});

afterAll(async () => {
  await lock?.release();
  chain?.destroy();
  provider?.destroy();
  await prisma?.$disconnect();
  await pool?.end();
  await anvil?.stop();
  await drop?.();
});

describe('the live EVM watcher', () => {
  let watcher: EvmWatcher;

  beforeAll(async () => {
    watcher = createEvmWatcher(watcherDeps());
    // The first poll places the cursor at the head; everything after it is watched.
    await watcher.pollOnce();
  });
  beforeEach(async () => {
    await watcher.pollOnce();
  });

  it('credits a native deposit once it has enough confirmations, and only once', async () => {
    const payee = await platformWallet();
    const sent = await sendNative(payee.address, parseEther('0.25'));

    const seen = await watcher.pollOnce();
    expect(seen.recorded).toBe(1);
    const pending = await depositByTx(sent.hash);
    expect(pending).toMatchObject({
      eventKey: evmDepositKey(CHAIN_ID, sent.hash, 'native'),
      status: 'PENDING',
      walletId: payee.walletId,
      assetCode: 'ETH',
      assetIssuer: null,
      fromAddress: payer.address,
      height: BigInt(sent.blockNumber),
    });
    expect(pending!.amountBase.toFixed()).toBe(parseEther('0.25').toString());

    await mine(anvil.url, CONFIRMATIONS - 1);
    await watcher.pollOnce();
    expect((await depositByTx(sent.hash))!.status).toBe('PENDING');

    await mine(anvil.url, 1);
    expect((await watcher.pollOnce()).credited).toBe(1);
    expect((await depositByTx(sent.hash))!.status).toBe('CREDITED');

    await mine(anvil.url, 3);
    expect((await watcher.pollOnce()).credited).toBe(0);
    expect(notificationsOf(pending!.id)).toEqual(['deposit-received']);
  });

  it('credits an ERC-20 deposit of a known token by its contract, exactly', async () => {
    const payee = await platformWallet();
    const sent = await usdc.transfer(payer.privateKey, payee.address, 12_500_000n);
    await mine(anvil.url, CONFIRMATIONS);

    await watcher.pollOnce();
    const deposit = await depositByTx(sent.hash);
    expect(deposit).toMatchObject({
      status: 'CREDITED',
      assetCode: 'USDC',
      assetIssuer: usdc.address,
      toAddress: payee.address,
      blockHash: sent.blockHash,
    });
    expect(deposit!.amountBase.toFixed()).toBe('12500000');
    expect(deposit!.eventKey).toMatch(new RegExp(`^evm:${CHAIN_ID}:${sent.hash}:\\d+$`));
    expect(notificationsOf(deposit!.id)).toEqual(['deposit-received']);
  });

  it('ignores transfers to addresses that are not platform wallets', async () => {
    const stranger = Wallet.createRandom().address;
    const native = await sendNative(stranger, 1n);
    const token = await usdc.transfer(payer.privateKey, stranger, 1n);
    await mine(anvil.url, CONFIRMATIONS);
    await watcher.pollOnce();
    expect(await depositByTx(native.hash)).toBeNull();
    expect(await depositByTx(token.hash)).toBeNull();
  });

  it('records a look-alike token as unknown-token and never lets it pay the invoice', async () => {
    const payee = await platformWallet();
    const invoice = await createInvoice(payee, usdc, 5_000_000n);

    const fake = await lookAlike.transfer(payer.privateKey, payee.address, 5_000_000n);
    await mine(anvil.url, CONFIRMATIONS);
    await watcher.pollOnce();

    const recorded = await depositByTx(fake.hash);
    expect(recorded).toMatchObject({
      status: 'CREDITED',
      assetIssuer: lookAlike.address,
      invoiceOutcome: 'unknown-token',
      invoiceId: invoice.id,
    });
    expect((await prisma.invoice.findUniqueOrThrow({ where: { id: invoice.id } })).status).toBe('OPEN');
    expect(notificationsOf(recorded!.id)).toEqual(['deposit-received']);

    const real = await usdc.transfer(payer.privateKey, payee.address, 5_000_000n);
    await mine(anvil.url, CONFIRMATIONS);
    await watcher.pollOnce();
    const paid = await prisma.invoice.findUniqueOrThrow({ where: { id: invoice.id } });
    expect(paid.status).toBe('PAID');
    expect(paid.settlementRef).toBe((await depositByTx(real.hash))!.eventKey);
    expect(notified).toContainEqual(expect.objectContaining({ kind: 'invoice-paid', invoiceId: invoice.id }));
  });

  it('drops a pending transfer whose block a reorg removed, and never credits it', async () => {
    const payee = await platformWallet();
    const sent = await sendNative(payee.address, 777n);
    await watcher.pollOnce();
    expect((await depositByTx(sent.hash))!.status).toBe('PENDING');

    await reorg(anvil.url, 1);
    const report = await watcher.pollOnce();
    expect(report).toMatchObject({ reorgDepth: 1, dropped: 1, reversed: 0 });

    await mine(anvil.url, CONFIRMATIONS + 1);
    await watcher.pollOnce();
    const dropped = await depositByTx(sent.hash);
    expect(dropped).toMatchObject({ status: 'DROPPED', creditedAt: null });
    expect(notificationsOf(dropped!.id)).toEqual([]);
  });

  it('reverses a credited transfer that a reorg removed, tells the owner and reopens its invoice', async () => {
    const payee = await platformWallet();
    const invoice = await createInvoice(payee, usdc, 3_000_000n);
    const sent = await usdc.transfer(payer.privateKey, payee.address, 3_000_000n);
    await mine(anvil.url, CONFIRMATIONS);
    await watcher.pollOnce();
    const credited = await depositByTx(sent.hash);
    expect(credited).toMatchObject({ status: 'CREDITED', invoiceOutcome: 'paid' });
    expect((await prisma.invoice.findUniqueOrThrow({ where: { id: invoice.id } })).status).toBe('PAID');

    await reorg(anvil.url, CONFIRMATIONS + 1);
    const report = await watcher.pollOnce();
    expect(report).toMatchObject({ reorgDepth: CONFIRMATIONS + 1, reversed: 1 });

    expect((await depositByTx(sent.hash))!.status).toBe('REVERSED');
    expect(notificationsOf(credited!.id)).toEqual(['deposit-reversed']);
    expect(notified).toContainEqual(expect.objectContaining({ kind: 'invoice-paid', invoiceId: invoice.id }));
    const reopened = await prisma.invoice.findUniqueOrThrow({ where: { id: invoice.id } });
    expect(reopened).toMatchObject({ status: 'OPEN', settlementRef: null });
  });

  it('credits again a transfer re-mined in another block after a reorg, under the same key', async () => {
    const payee = await platformWallet();
    const raw = await signNative(payee.address, 4_242n);
    const before = await snapshot(anvil.url);
    const hash = await sendRaw(anvil.url, raw);
    const firstBlock = await blockNumber(anvil.url);
    await mine(anvil.url, CONFIRMATIONS);
    await watcher.pollOnce();
    const first = await depositByTx(hash);
    expect(first).toMatchObject({ status: 'CREDITED', height: BigInt(firstBlock) });

    // The branch is abandoned; on the new one the same transaction lands one block later.
    await revertTo(anvil.url, before);
    await mine(anvil.url, 1);
    expect(await sendRaw(anvil.url, raw)).toBe(hash);
    const report = await watcher.pollOnce();
    expect(report.reversed).toBe(1);
    const moved = await depositByTx(hash);
    expect(moved).toMatchObject({ id: first!.id, status: 'PENDING', height: BigInt(firstBlock + 1) });
    expect(moved!.blockHash).not.toBe(first!.blockHash);

    await mine(anvil.url, CONFIRMATIONS);
    await watcher.pollOnce();
    expect((await depositByTx(hash))!.status).toBe('CREDITED');
    expect(notificationsOf(first!.id)).toEqual(['deposit-received', 'deposit-reversed', 'deposit-received']);
  });
});

describe('restarting the watcher', () => {
  it('resumes from its stored cursor and picks up what arrived while it was down', async () => {
    const first = createEvmWatcher(watcherDeps());
    first.start();
    const head = await blockNumber(anvil.url);
    await waitFor(
      () => prisma.watcherCursor.findUnique({ where: { name: evmWatcherName(CHAIN_ID) } }),
      (cursor) => Number(cursor?.cursor) >= head,
    );
    await first.stop();

    const payee = await platformWallet();
    const downtime = await sendNative(payee.address, 1_000n);
    await mine(anvil.url, 5);

    // A watcher starting from scratch would begin at the head and miss the transfer; this one
    // resumes after its cursor.
    const second = createEvmWatcher(watcherDeps());
    second.start();
    try {
      const credited = await waitFor(
        () => depositByTx(downtime.hash),
        (deposit) => deposit?.status === 'CREDITED',
      );
      expect(notificationsOf(credited!.id)).toEqual(['deposit-received']);
    } finally {
      await second.stop();
    }
  });

  it('skips its polls while another process leads the chain, and takes the lead once it is free', async () => {
    const watcher = createEvmWatcher(watcherDeps());
    await lock.release();
    const otherProcess = createLeaderLock({
      connectionString: databaseUrl,
      name: evmWatcherName(CHAIN_ID),
      logger: silent,
    });
    try {
      expect(await otherProcess.lead()).not.toBeNull();
      expect((await watcher.pollOnce()).skipped).toBe(true);
      expect((await watcher.pollOnce()).skipped).toBe(true);
    } finally {
      await otherProcess.release();
    }
    expect((await watcher.pollOnce()).skipped).toBe(false);
  });

  it('refuses to poll without a leader lock rather than poll beside another process', async () => {
    const watcher = createEvmWatcher({ ...watcherDeps(), store: createEvmWatcherStore(prisma) });
    await expect(watcher.pollOnce()).rejects.toMatchObject({ code: 'WATCHER_LOCK_MISSING' });
  });
});

describe('re-sync', () => {
  it('fills a gap once: a second run over the same blocks changes nothing', async () => {
    const payee = await platformWallet();
    const from = (await blockNumber(anvil.url)) + 1;
    const native = await sendNative(payee.address, 9_000n);
    const token = await usdc.transfer(payer.privateKey, payee.address, 9_000n);
    await mine(anvil.url, CONFIRMATIONS);
    const to = await blockNumber(anvil.url);

    const firstRun = await resyncEvmBlocks(watcherDeps(), { from, to });
    expect(firstRun).toMatchObject({ seen: 2, created: 2, existing: 0, credited: 2 });
    const rows = await prisma.chainDeposit.findMany({
      where: { walletId: payee.walletId },
      orderBy: { eventKey: 'asc' },
    });
    expect(rows.map((row) => [row.txHash, row.status])).toEqual(
      expect.arrayContaining([
        [native.hash, 'CREDITED'],
        [token.hash, 'CREDITED'],
      ]),
    );
    const notes = notified.length;

    const secondRun = await resyncEvmBlocks(watcherDeps(), { from, to });
    expect(secondRun).toMatchObject({ seen: 2, created: 0, existing: 2, credited: 0 });
    expect(
      await prisma.chainDeposit.findMany({
        where: { walletId: payee.walletId },
        orderBy: { eventKey: 'asc' },
      }),
    ).toEqual(rows);
    expect(notified.length).toBe(notes);
  });

  it('leaves blocks without enough confirmations to the live watcher', async () => {
    const payee = await platformWallet();
    await mine(anvil.url, 3);
    const sent = await sendNative(payee.address, 5n);
    const head = await blockNumber(anvil.url);

    const report = await resyncEvmBlocks(watcherDeps(), { from: sent.blockNumber - 2, to: head });
    expect(report).toMatchObject({ to: head - CONFIRMATIONS, seen: 0 });
    expect(await depositByTx(sent.hash)).toBeNull();
  });

  it('runs beside the live watcher without recording or announcing anything twice', async () => {
    const payees = await Promise.all([platformWallet(), platformWallet(), platformWallet()]);
    const from = (await blockNumber(anvil.url)) + 1;
    const watcher = createEvmWatcher(watcherDeps({ pollIntervalMs: 20 }));
    watcher.start();
    try {
      const hashes: string[] = [];
      for (const [index, payee] of payees.entries()) {
        hashes.push((await sendNative(payee.address, BigInt(100 + index))).hash);
        hashes.push((await usdc.transfer(payer.privateKey, payee.address, BigInt(200 + index))).hash);
        await mine(anvil.url, 1);
      }
      await mine(anvil.url, CONFIRMATIONS);
      const to = await blockNumber(anvil.url);
      await Promise.all([
        resyncEvmBlocks(watcherDeps(), { from, to, chunkSize: 2 }),
        resyncEvmBlocks(watcherDeps(), { from, to }),
      ]);
      const deposits = await waitFor(
        () => prisma.chainDeposit.findMany({ where: { walletId: { in: payees.map((p) => p.walletId) } } }),
        (rows) => rows.length === 6 && rows.every((row) => row.status === 'CREDITED'),
      );
      expect(deposits.map((row) => row.txHash).sort()).toEqual(
        hashes.map((hash) => hash.toLowerCase()).sort(),
      );
      for (const deposit of deposits) expect(notificationsOf(deposit.id)).toEqual(['deposit-received']);
    } finally {
      await watcher.stop();
    }
  });
});

describe('npm run resync:evm', () => {
  const queuePrefix = `test-resync-evm-${randomBytes(4).toString('hex')}`;
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    const notifications = new Queue('notifications', { connection: redis, prefix: queuePrefix });
    await notifications.obliterate({ force: true });
    await notifications.close();
    await redis.quit();
  });

  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runResyncEvm(argv, {
      env: {
        DATABASE_URL: databaseUrl,
        REDIS_URL: TEST_REDIS_URL,
        EVM_RPC_URL: anvil.url,
        EVM_CHAIN_ID: String(CHAIN_ID),
        EVM_TOKENS: `USDC:${usdc.address}:6`,
        EVM_CONFIRMATIONS: String(CONFIRMATIONS),
        LOG_LEVEL: 'silent',
      },
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      queuePrefix,
    });
    return { code, out, err };
  };

  it('prints what it saw, what was new and what was already there, and queues each notice once', async () => {
    const payee = await platformWallet();
    const from = (await blockNumber(anvil.url)) + 1;
    await sendNative(payee.address, 31n);
    await usdc.transfer(payer.privateKey, payee.address, 32n);
    const to = await blockNumber(anvil.url);
    await mine(anvil.url, CONFIRMATIONS);

    const first = await run(['--from', String(from), '--to', String(to)]);
    expect(first).toEqual({
      code: 0,
      out: [`blocks ${from}..${to}: seen 2, new 2, already 0, credited 2`],
      err: [],
    });
    const second = await run([`--from=${from}`, `--to=${to}`]);
    expect(second.out).toEqual([`blocks ${from}..${to}: seen 2, new 0, already 2, credited 0`]);

    const notifications = new Queue('notifications', { connection: redis, prefix: queuePrefix });
    try {
      expect(await notifications.getJobCountByTypes('waiting', 'delayed', 'completed')).toBe(2);
    } finally {
      await notifications.close();
    }
  });

  it('says which blocks it leaves to the live watcher', async () => {
    const head = await blockNumber(anvil.url);
    const { code, out } = await run(['--from', String(head - 3), '--to', String(head)]);
    expect(code).toBe(0);
    expect(out[0]).toBe(
      `blocks ${head - 1}..${head} skipped: fewer than ${CONFIRMATIONS} confirmations (head ${head}); the live watcher takes them`,
    );
  });

  it.each([
    [[], '--from is required'],
    [['--from', '10'], '--to is required'],
    [['--from', 'ten', '--to', '20'], '--from must be a block number, got "ten"'],
    [['--from', '30', '--to', '20'], '--from (30) is after --to (20)'],
    [['--block', '5'], 'unknown argument "--block"'],
    [['--from'], '--from needs a block number'],
  ])('refuses %j with one clear line and exit code 2', async (argv, problem) => {
    const { code, out, err } = await run(argv);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(problem);
  });

  it('exits with code 2 as a process, before touching any peer', async () => {
    const failure = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/resync-evm.ts', '--from', '9', '--to', '1'],
      { cwd: process.cwd(), env: { PATH: process.env.PATH } },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2, stdout: '' });
    expect((failure as { stderr: string }).stderr.trim().split('\n')).toEqual([
      'resync-evm: --from (9) is after --to (1)',
    ]);
  });
});
