import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Keypair } from '@stellar/stellar-sdk';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDepositRepository, createWatcherCursorStore } from '../../core/adapters/deposit-repository.ts';
import { connectRedis } from '../../core/adapters/redis.ts';
import { createHorizonPaymentFeed } from '../../core/adapters/stellar-horizon.ts';
import type { JobProducer, Notification } from '../../core/ports.ts';
import { QUEUE_NAMES } from '../../core/queues.ts';
import { createDepositSink } from '../../core/services/deposits.ts';
import {
  cursorAfterLedger,
  createStellarWatcher,
  LedgerRangeError,
  resyncStellarLedgers,
  STELLAR_CURSOR_NAME,
} from '../../core/services/stellar-watcher.ts';
import { parseResyncArgs, ResyncUsageError, runResync } from '../../scripts/resync.ts';
import { startHorizonDouble, type HorizonDouble } from '../doubles/horizon-double.ts';
import { createTestDatabase, TEST_REDIS_URL, createTestPool } from '../support/database.ts';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const prefix = `test-resync-${randomBytes(4).toString('hex')}`;

let drop: () => Promise<void>;
let databaseUrl: string;
let pool: pg.Pool;
let horizon: HorizonDouble;
let redis: Redis;
let notifications: Queue;

async function platformWallet(): Promise<{ keypair: Keypair; walletId: string }> {
  const keypair = Keypair.random();
  horizon.createAccount(keypair.publicKey(), '100');
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (telegram_id, language_code, updated_at) VALUES ($1, 'en', now()) RETURNING id::text`,
    [Math.floor(Math.random() * 1e12)],
  );
  const walletId = randomUUID();
  await pool.query(
    `INSERT INTO wallets (id, user_id, chain, address, signer_key_id, status)
     VALUES ($1, $2, 'STELLAR', $3, $4, 'ACTIVE')`,
    [walletId, rows[0]!.id, keypair.publicKey(), randomUUID()],
  );
  return { keypair, walletId };
}

function outsider(): Keypair {
  const keypair = Keypair.random();
  horizon.createAccount(keypair.publicKey(), '10000');
  return keypair;
}

/** Payments from outside into `wallets`, `count` each; returns the ledgers they span. */
function payEach(wallets: { keypair: Keypair }[], count: number): { from: number; to: number } {
  const payer = outsider();
  const from = horizon.latestLedger() + 1;
  for (let i = 1; i <= count; i++)
    for (const wallet of wallets)
      horizon.pay({ from: payer, to: wallet.keypair.publicKey(), amount: String(i) });
  return { from, to: horizon.latestLedger() };
}

const depositsOf = async (walletIds: string[]) =>
  (
    await pool.query<{ event_key: string }>(
      'SELECT event_key FROM chain_deposits WHERE wallet_id = ANY($1::uuid[]) ORDER BY event_key',
      [walletIds],
    )
  ).rows.map((row) => row.event_key);

const config = () => ({
  DATABASE_URL: databaseUrl,
  REDIS_URL: TEST_REDIS_URL,
  EVM_TOKENS: [],
  stellar: { horizonUrl: horizon.url },
});

/** Counts what the sink queues; the queue's own job-id dedup would hide a second notify. */
function recordingJobs(): Pick<JobProducer, 'notify'> & { sent: Notification[] } {
  const sent: Notification[] = [];
  return { sent, notify: async (notification) => void sent.push(notification) };
}

beforeAll(async () => {
  const database = await createTestDatabase('resync');
  drop = database.drop;
  databaseUrl = database.url;
  pool = createTestPool(databaseUrl, 6);
  horizon = await startHorizonDouble();
  redis = await connectRedis(TEST_REDIS_URL, 'producer');
  notifications = new Queue(QUEUE_NAMES.notifications, { connection: redis, prefix });
});

afterAll(async () => {
  await notifications?.obliterate({ force: true }).catch(() => undefined);
  await notifications?.close();
  await redis?.quit();
  await horizon?.close();
  await pool?.end();
  await drop?.();
});

describe('npm run resync', () => {
  it('records and announces what arrived while nothing watched, and changes nothing the second time', async () => {
    const wallets = [await platformWallet(), await platformWallet()];
    const [payer, stranger] = [outsider(), outsider()];
    const from = horizon.latestLedger() + 1;
    payEach(wallets, 3);
    horizon.pay({ from: payer, to: stranger.publicKey(), amount: '1' });
    const range = { from, to: horizon.latestLedger() };

    const first = await runResync(range, config(), logger, { queuePrefix: prefix });
    const recorded = await depositsOf(wallets.map((wallet) => wallet.walletId));
    const queued = await notifications.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active');
    const second = await runResync(range, config(), logger, { queuePrefix: prefix });

    // Read: the creation of payEach's payer, six payments in, one between two strangers.
    expect(first).toEqual({ records: 8, seen: 6, recorded: 6, alreadyRecorded: 0 });
    expect(recorded).toHaveLength(6);
    expect(queued).toBe(6);
    expect(second).toEqual({ records: 8, seen: 6, recorded: 0, alreadyRecorded: 6 });
    expect(await depositsOf(wallets.map((wallet) => wallet.walletId))).toEqual(recorded);
    expect(await notifications.getJobCountByTypes('waiting', 'prioritized', 'delayed', 'active')).toBe(6);
  });

  it('records each payment once while the live watcher reads the same ledgers', async () => {
    const wallets = [await platformWallet(), await platformWallet(), await platformWallet()];
    const before = horizon.latestLedger();
    const range = payEach(wallets, 40);
    const jobs = recordingJobs();
    const sink = createDepositSink({ store: createDepositRepository(pool), jobs, knownTokens: [], logger });
    const cursors = createWatcherCursorStore(pool);
    await cursors.set({ name: STELLAR_CURSOR_NAME, value: cursorAfterLedger(before) });
    const feed = createHorizonPaymentFeed({ horizonUrl: horizon.url, pageSize: 25 });
    const watcher = createStellarWatcher({ feed, sink, cursors, logger, maxBatch: 7 });

    await watcher.start();
    const [counts] = await Promise.all([
      resyncStellarLedgers(range, { feed, sink, logger }),
      resyncStellarLedgers(range, { feed, sink, logger }),
    ]);
    await expect.poll(() => watcher.position(), { timeout: 10_000 }).toBe(horizon.payments().at(-1)!.id);
    await watcher.stop();

    expect(counts.seen).toBe(120);
    const walletIds = wallets.map((wallet) => wallet.walletId);
    expect(await depositsOf(walletIds)).toHaveLength(120);
    const announced = jobs.sent.map((notification) => (notification as { depositId: string }).depositId);
    expect(announced).toHaveLength(120);
    expect(new Set(announced).size).toBe(120);
  });

  it('refuses ledgers this Horizon does not hold', async () => {
    const latest = horizon.latestLedger();
    const sink = createDepositSink({
      store: createDepositRepository(pool),
      jobs: recordingJobs(),
      knownTokens: [],
      logger,
    });
    const feed = createHorizonPaymentFeed({ horizonUrl: horizon.url });

    await expect(
      resyncStellarLedgers({ from: 1, to: latest + 10 }, { feed, sink, logger }),
    ).rejects.toBeInstanceOf(LedgerRangeError);
  });

  describe('its command line', () => {
    it('reads --from and --to in either form', () => {
      expect(parseResyncArgs(['--from', '10', '--to=20'])).toEqual({ from: 10, to: 20 });
    });

    it.each([
      [[], '--from is required'],
      [['--from', '10'], '--to is required'],
      [['--from', 'ten', '--to', '20'], '--from must be a ledger number'],
      [['--from', '0', '--to', '20'], '--from must be a ledger number'],
      [['--from', '30', '--to', '20'], 'must not be after'],
      [['--from', '1', '--to', '20', '--fast'], 'unexpected argument'],
      [['--from', '1', '--to', '2000000'], 'split the range'],
    ])('refuses %j', (argv, message) => {
      expect(() => parseResyncArgs(argv)).toThrow(ResyncUsageError);
      expect(() => parseResyncArgs(argv)).toThrow(message);
    });

    it('exits with code 2 and one line when the arguments are wrong', async () => {
      const failure = await run('node_modules/.bin/tsx', [
        'scripts/resync.ts',
        '--from',
        '9',
        '--to',
        '3',
      ]).then(
        () => null,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code).toBe(2);
      expect(failure?.stderr.trim().split('\n')).toEqual(['resync: --from (9) must not be after --to (3)']);
    });

    it('prints its counts', async () => {
      const wallet = await platformWallet();
      const range = payEach([wallet], 2);
      await runResync(range, config(), logger, { queuePrefix: prefix });

      const { stdout } = await run(
        'node_modules/.bin/tsx',
        ['scripts/resync.ts', `--from=${range.from}`, `--to=${range.to}`],
        {
          env: {
            ...process.env,
            DATABASE_URL: databaseUrl,
            REDIS_URL: TEST_REDIS_URL,
            BOT_TOKEN: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
            SIGNER_URL: 'http://127.0.0.1:9',
            SIGNER_AUTH_SECRET: randomBytes(32).toString('base64url'),
            EVM_RPC_URL: 'http://127.0.0.1:9',
            EVM_CHAIN_ID: '31337',
            STELLAR_NETWORK: 'custom',
            STELLAR_HORIZON_URL: horizon.url,
            STELLAR_NETWORK_PASSPHRASE: horizon.passphrase,
            LOG_LEVEL: 'silent',
          },
        },
      );
      expect(stdout.trim()).toBe(
        `ledgers ${range.from}-${range.to}: 2 payment records read, 2 into platform wallets (seen): 0 new, 2 already recorded`,
      );
    });
  });
});
