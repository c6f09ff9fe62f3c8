import { randomBytes, randomUUID } from 'node:crypto';
import {
  Account,
  Asset,
  Keypair,
  Memo,
  MuxedAccount,
  Operation,
  TransactionBuilder,
} from '@stellar/stellar-sdk';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHorizonPaymentFeed, createStellarNetwork } from '../../core/adapters/stellar-horizon.ts';
import { type BullJobProducer } from '../../core/adapters/job-producer.ts';
import { ledgerOfPagingToken, STELLAR_CURSOR_NAME } from '../../core/services/stellar-watcher.ts';
import { startStellarWatcher, type RunningStellarWatcher } from '../../jobs/watchers/stellar.ts';
import { startFakeBotApi, type FakeBotApi } from '../doubles/fake-bot-api.ts';
import { startHorizonDouble, type HorizonDouble } from '../doubles/horizon-double.ts';
import { createTestDatabase, createTestPool } from '../support/database.ts';
import { startDepositNoticeWorker, type DepositNoticeWorker } from '../support/deposit-notices.ts';

const logger = pino({ level: 'silent' });
let drop: () => Promise<void>;
let databaseUrl: string;
let pool: pg.Pool;
let horizon: HorizonDouble;
let telegram: FakeBotApi;
let jobs: BullJobProducer;
let notifications: DepositNoticeWorker;
let running: RunningStellarWatcher | undefined;
const prefix = `test-watcher-${randomBytes(4).toString('hex')}`;

/** A platform user with a Stellar wallet whose key the test holds. */
interface TestUser {
  userId: bigint;
  telegramId: number;
  keypair: Keypair;
  walletId: string;
  /** The transaction that created its account: recorded as a deposit too, quietly. */
  creationTx: string;
}

let nextTelegramId = 7_100_000;

async function platformUser(options: { language?: string; username?: string } = {}): Promise<TestUser> {
  const telegramId = nextTelegramId++;
  const keypair = Keypair.random();
  const creationTx = horizon.createAccount(keypair.publicKey(), '100').hash;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (telegram_id, language_code, username, updated_at)
     VALUES ($1, $2, $3, now()) RETURNING id::text`,
    [telegramId, options.language ?? 'en', options.username ?? null],
  );
  const userId = BigInt(rows[0]!.id);
  const walletId = randomUUID();
  await pool.query(
    `INSERT INTO wallets (id, user_id, chain, address, signer_key_id, status)
     VALUES ($1, $2, 'STELLAR', $3, $4, 'ACTIVE')`,
    [walletId, userId, keypair.publicKey(), randomUUID()],
  );
  telegram.addChat({ id: telegramId, type: 'private', first_name: 'User' });
  return { userId, telegramId, keypair, walletId, creationTx };
}

function outsider(xlm = '1000'): Keypair {
  const keypair = Keypair.random();
  horizon.createAccount(keypair.publicKey(), xlm);
  return keypair;
}

const messagesTo = (chatId: number) =>
  telegram.calls('sendMessage').filter((call) => Number(call.params.chat_id) === chatId);

function messageTo(chatId: number, text: string) {
  return telegram.waitFor(
    (call) =>
      call.method === 'sendMessage' &&
      Number(call.params.chat_id) === chatId &&
      String(call.params.text).includes(text),
    { timeoutMs: 10_000 },
  );
}

/** Lets anything still in flight arrive, so that a count of messages is final. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

/** Deposits into the user's wallet other than the creation of its account. */
const paymentsRecorded = async (user: TestUser) =>
  Number(
    (
      await pool.query<{ n: string }>(
        'SELECT count(*)::text AS n FROM chain_deposits WHERE wallet_id = $1 AND tx_hash <> $2',
        [user.walletId, user.creationTx],
      )
    ).rows[0]!.n,
  );

async function startWatcher(): Promise<RunningStellarWatcher> {
  running = await startStellarWatcher({
    config: { DATABASE_URL: databaseUrl, EVM_TOKENS: [], stellar: { horizonUrl: horizon.url } },
    jobs,
    logger,
    feed: { reconnectDelayMs: 50 },
  });
  return running;
}

beforeAll(async () => {
  const database = await createTestDatabase('watcher');
  drop = database.drop;
  databaseUrl = database.url;
  pool = createTestPool(databaseUrl, 4);
  [horizon, telegram] = await Promise.all([startHorizonDouble(), startFakeBotApi()]);
  notifications = await startDepositNoticeWorker({ pool, telegram, prefix, knownTokens: [], logger });
  jobs = notifications.jobs;
});

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

afterAll(async () => {
  await notifications?.stop();
  await Promise.all([horizon?.close(), telegram?.close()]);
  await pool?.end();
  await drop?.();
});

describe('the Stellar payments watcher', () => {
  it('tells the owner once about a payment from outside, in their language', async () => {
    const owner = await platformUser({ language: 'es' });
    const payer = outsider();
    await startWatcher();

    horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '12.5' });

    const call = await messageTo(owner.telegramId, 'Recibiste');
    expect(call.params.text).toContain('12.5 XLM');
    expect(call.params.text).toContain(payer.publicKey());
    await settle();
    expect(messagesTo(owner.telegramId)).toHaveLength(1);
    expect(await paymentsRecorded(owner)).toBe(1);
  });

  it('names a platform sender by @username and shows an issued asset with its issuer', async () => {
    const sender = await platformUser({ username: 'alice' });
    const owner = await platformUser();
    const issuer = outsider();
    await startWatcher();
    horizon.issue({ issuer, to: sender.keypair, code: 'USDC', amount: '100' });
    horizon.trust({ account: owner.keypair, asset: new Asset('USDC', issuer.publicKey()) });

    horizon.pay({
      from: sender.keypair,
      to: owner.keypair.publicKey(),
      amount: '12.5',
      asset: new Asset('USDC', issuer.publicKey()),
    });

    const call = await messageTo(owner.telegramId, 'You received');
    const shortIssuer = `${issuer.publicKey().slice(0, 4)}…${issuer.publicKey().slice(-4)}`;
    expect(call.params.text).toBe(`💰 You received <b>12.5 USDC (${shortIssuer})</b> from @alice.`);
  });

  it('credits a payment to a muxed address to the owner of its base account', async () => {
    const owner = await platformUser();
    const payer = outsider();
    await startWatcher();
    const muxed = new MuxedAccount(new Account(owner.keypair.publicKey(), '0'), '12345').accountId();

    horizon.pay({ from: payer, to: muxed, amount: '3' });

    await messageTo(owner.telegramId, '3 XLM');
    const { rows } = await pool.query(
      'SELECT to_address, amount_base::text AS amount FROM chain_deposits WHERE wallet_id = $1 AND tx_hash <> $2',
      [owner.walletId, owner.creationTx],
    );
    expect(rows).toEqual([{ to_address: owner.keypair.publicKey(), amount: '30000000' }]);
  });

  it('ignores a failed transaction and credits the next payment', async () => {
    const owner = await platformUser();
    const payer = outsider('20');
    await startWatcher();
    const account = horizon.account(payer.publicKey())!;
    const tooMuch = new TransactionBuilder(new Account(payer.publicKey(), account.sequence.toString()), {
      fee: horizon.baseFee.toString(),
      networkPassphrase: horizon.passphrase,
    })
      .addOperation(
        Operation.payment({ destination: owner.keypair.publicKey(), asset: Asset.native(), amount: '5000' }),
      )
      .setTimeout(0)
      .build();
    tooMuch.sign(payer);
    const failed = horizon.submit(tooMuch.toXDR());
    expect(failed.status === 'included' && !failed.transaction.successful).toBe(true);

    horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '1.5' });

    await messageTo(owner.telegramId, '1.5 XLM');
    await settle();
    expect(messagesTo(owner.telegramId)).toHaveLength(1);
    expect(await paymentsRecorded(owner)).toBe(1);
  });

  it('stays quiet about the account creation that activates a wallet, but records it', async () => {
    const keypair = Keypair.random();
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO users (telegram_id, language_code, updated_at) VALUES ($1, 'en', now()) RETURNING id::text`,
      [nextTelegramId],
    );
    const telegramId = nextTelegramId++;
    const walletId = randomUUID();
    await pool.query(
      `INSERT INTO wallets (id, user_id, chain, address, signer_key_id, status)
       VALUES ($1, $2, 'STELLAR', $3, $4, 'PENDING_ACTIVATION')`,
      [walletId, rows[0]!.id, keypair.publicKey(), randomUUID()],
    );
    await startWatcher();

    horizon.createAccount(keypair.publicKey(), '2');
    horizon.pay({ from: outsider(), to: keypair.publicKey(), amount: '1' });

    await telegram.waitFor((call) => Number(call.params.chat_id) === telegramId, { timeoutMs: 10_000 });
    await settle();
    expect(messagesTo(telegramId).map((call) => call.params.text)).toEqual([
      expect.stringContaining('You received <b>1 XLM</b>'),
    ]);
    const { rows: recorded } = await pool.query(
      'SELECT count(*)::int AS n FROM chain_deposits WHERE wallet_id = $1',
      [walletId],
    );
    expect(recorded[0].n).toBe(2);
  });

  describe('when it restarts', () => {
    it('picks up what arrived while it was down from the stored cursor, once', async () => {
      const owner = await platformUser();
      const payer = outsider();
      await startWatcher();
      horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '1' });
      await messageTo(owner.telegramId, '1 XLM');
      await running!.stop();
      running = undefined;

      horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '2' });
      horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '3' });
      await startWatcher();
      horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '4' });

      await Promise.all(['2 XLM', '3 XLM', '4 XLM'].map((text) => messageTo(owner.telegramId, text)));
      await settle();
      expect(messagesTo(owner.telegramId)).toHaveLength(4);
      expect(await paymentsRecorded(owner)).toBe(4);
    });

    it('re-reads from a cursor left behind by a crash without recording or announcing anything twice', async () => {
      const owner = await platformUser();
      const payer = outsider();
      await startWatcher();
      const before = running!.watcher.position()!;
      horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '5' });
      horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '6' });
      await Promise.all(['5 XLM', '6 XLM'].map((text) => messageTo(owner.telegramId, text)));
      await running!.stop();
      running = undefined;
      // As if the process died after recording but before its cursor write.
      await pool.query('UPDATE watcher_cursors SET cursor = $2 WHERE name = $1', [
        STELLAR_CURSOR_NAME,
        before,
      ]);

      await startWatcher();
      horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '7' });

      await messageTo(owner.telegramId, '7 XLM');
      await settle();
      expect(messagesTo(owner.telegramId)).toHaveLength(3);
      expect(await paymentsRecorded(owner)).toBe(3);
    });

    it('reconnects from the last paging token when the stream is cut', async () => {
      const owner = await platformUser();
      const payer = outsider();
      await startWatcher();
      horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '8' });
      await messageTo(owner.telegramId, '8 XLM');

      // More records than the stream's per-connection limit: the server says goodbye mid-way.
      for (let i = 1; i <= 205; i++)
        horizon.pay({
          from: payer,
          to: owner.keypair.publicKey(),
          amount: `0.${String(i).padStart(3, '0')}`,
        });

      await messageTo(owner.telegramId, '0.205 XLM');
      await settle();
      expect(await paymentsRecorded(owner)).toBe(206);
      expect(messagesTo(owner.telegramId)).toHaveLength(206);
    });
  });

  it('starts after the latest ledger when no cursor is stored, and stores that position at once', async () => {
    await pool.query('DELETE FROM watcher_cursors');
    const owner = await platformUser();
    horizon.pay({ from: outsider(), to: owner.keypair.publicKey(), amount: '9' });
    await startWatcher();

    const { rows } = await pool.query<{ cursor: string }>(
      'SELECT cursor FROM watcher_cursors WHERE name = $1',
      [STELLAR_CURSOR_NAME],
    );
    expect(BigInt(rows[0]!.cursor) >> 32n).toBe(BigInt(horizon.latestLedger()));
    horizon.pay({ from: outsider(), to: owner.keypair.publicKey(), amount: '10' });
    await messageTo(owner.telegramId, '10 XLM');
    await settle();
    expect(messagesTo(owner.telegramId)).toHaveLength(1);
  });
});

describe('when several worker processes run it', () => {
  const processes: RunningStellarWatcher[] = [];

  /** A watcher as one more worker process runs it: its own pool and lock connection. */
  async function startProcess(): Promise<RunningStellarWatcher> {
    const started = await startStellarWatcher({
      config: { DATABASE_URL: databaseUrl, EVM_TOKENS: [], stellar: { horizonUrl: horizon.url } },
      jobs,
      logger,
      feed: { reconnectDelayMs: 50 },
      leadership: { retryMs: 200, heartbeatMs: 200 },
    });
    processes.push(started);
    return started;
  }

  /** The backends holding an advisory lock in this test's database: the leader's lock connection. */
  const lockHolders = async () =>
    (
      await pool.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      )
    ).rows.map((row) => row.pid);

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((started) => started.stop()));
  });

  it('opens one payments stream at Horizon, from the process that leads', async () => {
    const owner = await platformUser();
    const first = await startProcess();
    const second = await startProcess();

    expect([first.watcher.leading(), second.watcher.leading()]).toEqual([true, false]);
    await expect.poll(() => horizon.openStreams(), { timeout: 5_000 }).toBe(1);
    // Several of the follower's attempts later, it still follows.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(horizon.openStreams()).toBe(1);
    expect(second.watcher.leading()).toBe(false);
    expect(await lockHolders()).toHaveLength(1);

    horizon.pay({ from: outsider(), to: owner.keypair.publicKey(), amount: '11' });
    await messageTo(owner.telegramId, '11 XLM');
    await settle();
    expect(messagesTo(owner.telegramId)).toHaveLength(1);
    expect(second.watcher.position()).toBeNull();
  });

  it('hands over when the leader stops: what arrived in between is recorded once', async () => {
    const owner = await platformUser();
    const payer = outsider();
    const first = await startProcess();
    const second = await startProcess();
    horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '21' });
    await messageTo(owner.telegramId, '21 XLM');

    await first.stop();
    horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '22' });
    horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '23' });
    await expect.poll(() => second.watcher.leading(), { timeout: 5_000 }).toBe(true);
    horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '24' });

    await Promise.all(['22 XLM', '23 XLM', '24 XLM'].map((text) => messageTo(owner.telegramId, text)));
    await settle();
    expect(messagesTo(owner.telegramId)).toHaveLength(4);
    expect(await paymentsRecorded(owner)).toBe(4);
    await expect.poll(() => horizon.openStreams(), { timeout: 5_000 }).toBe(1);
  });

  it('hands over when the leader loses its lock connection, recording and announcing nothing twice', async () => {
    const owner = await platformUser();
    const payer = outsider();
    const first = await startProcess();
    const second = await startProcess();
    const before = first.watcher.position()!;
    horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '31' });
    const last = horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '32' });
    await Promise.all(['31 XLM', '32 XLM'].map((text) => messageTo(owner.telegramId, text)));
    const storedCursor = async () =>
      (
        await pool.query<{ cursor: string }>('SELECT cursor FROM watcher_cursors WHERE name = $1', [
          STELLAR_CURSOR_NAME,
        ])
      ).rows[0]?.cursor;
    // The leader has handled both payments and stored its place after them.
    await expect
      .poll(async () => ledgerOfPagingToken((await storedCursor()) ?? '0') >= last.ledger, { timeout: 5_000 })
      .toBe(true);
    // As if the leader had died before storing its cursor: the next one re-reads both payments.
    await pool.query('UPDATE watcher_cursors SET cursor = $2 WHERE name = $1', [STELLAR_CURSOR_NAME, before]);

    const [leaderLock] = await lockHolders();
    await pool.query('SELECT pg_terminate_backend($1)', [leaderLock]);

    await expect.poll(() => first.watcher.leading(), { timeout: 2_000 }).toBe(false);
    await expect.poll(() => second.watcher.leading(), { timeout: 5_000 }).toBe(true);
    horizon.pay({ from: payer, to: owner.keypair.publicKey(), amount: '33' });
    await messageTo(owner.telegramId, '33 XLM');
    await settle();
    expect(messagesTo(owner.telegramId)).toHaveLength(3);
    expect(await paymentsRecorded(owner)).toBe(3);
    expect(first.watcher.leading()).toBe(false);
    await expect.poll(() => horizon.openStreams(), { timeout: 5_000 }).toBe(1);
    expect(await lockHolders()).toHaveLength(1);
    expect(await lockHolders()).not.toContain(leaderLock);
  });
});

describe('the Horizon reading side', () => {
  it('reads an account for checking a payment: reserve, trustlines and SEP-29', async () => {
    const stellar = createStellarNetwork({
      horizonUrl: horizon.url,
      friendbotUrl: undefined,
      passphrase: horizon.passphrase,
    });
    const holder = outsider();
    const issuer = outsider();
    horizon.issue({ issuer, to: holder, code: 'EURT', amount: '12.5' });
    horizon.setAccountData(holder.publicKey(), 'config.memo_required', '1');

    const state = await stellar.getAccount(holder.publicKey());

    expect(state).toEqual({
      address: holder.publicKey(),
      sequence: horizon.account(holder.publicKey())!.sequence.toString(),
      nativeBalance: horizon.account(holder.publicKey())!.balance,
      // Two base reserves, one per trustline and data entry.
      minimumBalance: (2n + BigInt(horizon.account(holder.publicKey())!.subentries)) * horizon.baseReserve,
      trustlines: [
        {
          assetCode: 'EURT',
          assetIssuer: issuer.publicKey(),
          balance: 125_000_000n,
          limit: 9_223_372_036_854_775_807n,
          authorized: true,
        },
      ],
      memoRequired: true,
    });
    expect(await stellar.getAccount(Keypair.random().publicKey())).toBeNull();
  });

  it('lists the payments of one ledger with their memos, and of a range of ledgers', async () => {
    const feed = createHorizonPaymentFeed({ horizonUrl: horizon.url, pageSize: 2 });
    const payer = outsider();
    const receiver = outsider();
    const first = horizon.pay({ from: payer, to: receiver.publicKey(), amount: '1', memo: Memo.id('42') });
    horizon.pay({ from: payer, to: receiver.publicKey(), amount: '2', memo: 'thanks' });
    horizon.pay({ from: payer, to: receiver.publicKey(), amount: '3' });

    const [one] = await feed.ledger(first.ledger);
    expect(one?.payment).toMatchObject({ amount: 10_000_000n, memo: { type: 'id', value: '42' } });
    const pages = [];
    for await (const page of feed.range(first.ledger, first.ledger + 2)) pages.push(page);
    expect(pages.flat().map((item) => [item.payment?.amount, item.payment?.memo])).toEqual([
      [10_000_000n, { type: 'id', value: '42' }],
      [20_000_000n, { type: 'text', value: 'thanks' }],
      [30_000_000n, { type: 'none' }],
    ]);
  });
});
