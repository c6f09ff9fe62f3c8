import { randomBytes, randomUUID } from 'node:crypto';
import { Asset, Keypair, Memo } from '@stellar/stellar-sdk';
import { Wallet as EvmWallet } from 'ethers';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDepositRepository } from '../../core/adapters/deposit-repository.ts';
import { type BullJobProducer } from '../../core/adapters/job-producer.ts';
import type { JobProducer, Notification } from '../../core/ports.ts';
import {
  createDepositSink,
  type DepositObservation,
  type DepositSink,
} from '../../core/services/deposits.ts';
import { startStellarWatcher, type RunningStellarWatcher } from '../../jobs/watchers/stellar.ts';
import { startFakeBotApi, type FakeBotApi } from '../doubles/fake-bot-api.ts';
import { startHorizonDouble, type HorizonDouble } from '../doubles/horizon-double.ts';
import { createTestDatabase, createTestPool } from '../support/database.ts';
import { startDepositNoticeWorker, type DepositNoticeWorker } from '../support/deposit-notices.ts';
import { evmTransferTo, TEST_CHAIN_ID, TEST_KNOWN_TOKENS, TEST_TOKEN } from '../support/evm-deposits.ts';

const logger = pino({ level: 'silent' });
const CHAIN_ID = TEST_CHAIN_ID;
const TOKEN = TEST_TOKEN;
const LOOKALIKE = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';
const KNOWN_TOKENS = TEST_KNOWN_TOKENS;
const prefix = `test-deposits-${randomBytes(4).toString('hex')}`;

let drop: () => Promise<void>;
let pool: pg.Pool;
let horizon: HorizonDouble;
let telegram: FakeBotApi;
let jobs: BullJobProducer;
let notifications: DepositNoticeWorker;
let watcher: RunningStellarWatcher;
let nextTelegramId = 8_200_000;

interface TestUser {
  userId: bigint;
  telegramId: number;
  stellar: Keypair;
  stellarWalletId: string;
  evmAddress: string;
  evmWalletId: string;
}

async function platformUser(options: { username?: string } = {}): Promise<TestUser> {
  const telegramId = nextTelegramId++;
  const stellar = Keypair.random();
  horizon.createAccount(stellar.publicKey(), '100');
  const evmAddress = EvmWallet.createRandom().address;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO users (telegram_id, language_code, username, updated_at) VALUES ($1, 'en', $2, now())
     RETURNING id::text`,
    [telegramId, options.username ?? null],
  );
  const userId = BigInt(rows[0]!.id);
  const [stellarWalletId, evmWalletId] = [randomUUID(), randomUUID()];
  await pool.query(
    `INSERT INTO wallets (id, user_id, chain, address, signer_key_id, status) VALUES
       ($1, $3, 'STELLAR', $4, $5, 'ACTIVE'), ($2, $3, 'EVM', $6, $7, 'ACTIVE')`,
    [stellarWalletId, evmWalletId, userId, stellar.publicKey(), randomUUID(), evmAddress, randomUUID()],
  );
  telegram.addChat({ id: telegramId, type: 'private', first_name: 'User' });
  return { userId, telegramId, stellar, stellarWalletId, evmAddress, evmWalletId };
}

function outsider(): Keypair {
  const keypair = Keypair.random();
  horizon.createAccount(keypair.publicKey(), '1000');
  return keypair;
}

interface InvoiceInput {
  payee: TestUser;
  rail?: 'STELLAR' | 'EVM';
  assetCode?: string;
  assetIssuer?: string | null;
  amountBase: bigint;
  description?: string;
  status?: 'OPEN' | 'PAID' | 'EXPIRED' | 'CANCELLED';
  expiresAt?: Date;
  createdAt?: Date;
}

async function invoice(input: InvoiceInput): Promise<{ id: string; memoId: string }> {
  const rail = input.rail ?? 'STELLAR';
  const { rows } = await pool.query<{ id: string; memo_id: string }>(
    `INSERT INTO invoices (id, slug, payee_user_id, rail, chain_id, asset_code, asset_issuer, amount_base,
       description, payee_address, status, expires_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4::"InvoiceRail", $5, $6, $7, $8, $9, $10, $11::"InvoiceStatus", $12, $13, now())
     RETURNING id, memo_id::text`,
    [
      randomUUID(),
      randomBytes(6).toString('base64url'),
      input.payee.userId,
      rail,
      rail === 'EVM' ? CHAIN_ID : null,
      input.assetCode ?? 'XLM',
      input.assetIssuer ?? null,
      input.amountBase.toString(),
      input.description ?? 'coffee beans',
      rail === 'EVM' ? input.payee.evmAddress : input.payee.stellar.publicKey(),
      input.status ?? 'OPEN',
      (input.expiresAt ?? new Date(Date.now() + 3600_000)).toISOString().replace('Z', ''),
      (input.createdAt ?? new Date()).toISOString().replace('Z', ''),
    ],
  );
  return { id: rows[0]!.id, memoId: rows[0]!.memo_id };
}

async function invoiceRow(id: string) {
  const { rows } = await pool.query<{
    status: string;
    settlement_ref: string | null;
    paid_by_user_id: string | null;
  }>('SELECT status::text, settlement_ref, paid_by_user_id::text FROM invoices WHERE id = $1', [id]);
  return rows[0]!;
}

async function depositOf(txHash: string) {
  const { rows } = await pool.query<{
    event_key: string;
    invoice_id: string | null;
    invoice_outcome: string | null;
  }>('SELECT event_key, invoice_id, invoice_outcome FROM chain_deposits WHERE tx_hash = $1', [txHash]);
  return rows[0];
}

const messagesTo = (chatId: number) =>
  telegram.calls('sendMessage').filter((call) => Number(call.params.chat_id) === chatId);

async function messageTo(chatId: number, text: string): Promise<string> {
  const call = await telegram.waitFor(
    (candidate) =>
      candidate.method === 'sendMessage' &&
      Number(candidate.params.chat_id) === chatId &&
      String(candidate.params.text).includes(text),
    { timeoutMs: 10_000 },
  );
  return String(call.params.text);
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

beforeAll(async () => {
  const database = await createTestDatabase('deposits');
  drop = database.drop;
  pool = createTestPool(database.url, 6);
  [horizon, telegram] = await Promise.all([startHorizonDouble(), startFakeBotApi()]);
  notifications = await startDepositNoticeWorker({
    pool,
    telegram,
    prefix,
    knownTokens: KNOWN_TOKENS,
    logger,
  });
  jobs = notifications.jobs;
  watcher = await startStellarWatcher({
    config: { DATABASE_URL: database.url, EVM_TOKENS: KNOWN_TOKENS, stellar: { horizonUrl: horizon.url } },
    jobs,
    logger,
  });
});

afterAll(async () => {
  await watcher?.stop();
  await notifications?.stop();
  await Promise.all([horizon?.close(), telegram?.close()]);
  await pool?.end();
  await drop?.();
});

describe('a Stellar payment naming an invoice by its MEMO_ID', () => {
  it('pays the invoice and tells the payee once, with the payer named', async () => {
    const payee = await platformUser();
    const payer = await platformUser({ username: 'bob' });
    const { id, memoId } = await invoice({ payee, amountBase: 100_000_000n });

    const tx = horizon.pay({
      from: payer.stellar,
      to: payee.stellar.publicKey(),
      amount: '10',
      memo: Memo.id(memoId),
    });

    expect(await messageTo(payee.telegramId, 'is paid')).toBe(
      '✅ Invoice “coffee beans” is paid: you received <b>10 XLM</b> from @bob.',
    );
    await settle();
    expect(messagesTo(payee.telegramId)).toHaveLength(1);
    const deposit = await depositOf(tx.hash);
    expect(deposit).toMatchObject({ invoice_id: id, invoice_outcome: 'paid' });
    expect(await invoiceRow(id)).toEqual({
      status: 'PAID',
      settlement_ref: deposit!.event_key,
      paid_by_user_id: payer.userId.toString(),
    });
  });

  it('does not mark it paid when the amount is short, and says so', async () => {
    const payee = await platformUser();
    const { id, memoId } = await invoice({ payee, amountBase: 100_000_000n, description: 'beans & <milk>' });

    const tx = horizon.pay({
      from: outsider(),
      to: payee.stellar.publicKey(),
      amount: '5',
      memo: Memo.id(memoId),
    });

    const text = await messageTo(payee.telegramId, 'too little');
    expect(text).toContain('You received <b>5 XLM</b>');
    expect(text).toContain(`Memo: <code>${memoId}</code>`);
    expect(text).toContain(
      'For invoice “beans &amp; &lt;milk&gt;”: too little, 5 of 10 XLM. Not marked paid.',
    );
    expect((await invoiceRow(id)).status).toBe('OPEN');
    expect(await depositOf(tx.hash)).toMatchObject({ invoice_id: id, invoice_outcome: 'short' });
  });

  it('refuses the same asset code from another issuer, a look-alike', async () => {
    const payee = await platformUser();
    const [issuer, fake] = [outsider(), outsider()];
    const usdc = new Asset('USDC', issuer.publicKey());
    horizon.trust({ account: payee.stellar, asset: usdc });
    horizon.trust({ account: payee.stellar, asset: new Asset('USDC', fake.publicKey()) });
    const { id, memoId } = await invoice({
      payee,
      assetCode: 'USDC',
      assetIssuer: issuer.publicKey(),
      amountBase: 10n,
    });

    const { transaction } = horizon.issue({
      issuer: fake,
      to: payee.stellar.publicKey(),
      code: 'USDC',
      amount: '1',
      memo: Memo.id(memoId),
    });

    const text = await messageTo(payee.telegramId, 'wrong asset');
    expect(text).toContain(`it asks for 0.000001 USDC (${issuer.publicKey().slice(0, 4)}…`);
    expect((await invoiceRow(id)).status).toBe('OPEN');
    expect(await depositOf(transaction.hash)).toMatchObject({ invoice_outcome: 'wrong-asset' });
  });

  it('refuses lumens for an invoice in an issued asset', async () => {
    const payee = await platformUser();
    const { id, memoId } = await invoice({
      payee,
      assetCode: 'USDC',
      assetIssuer: outsider().publicKey(),
      amountBase: 10_000_000n,
    });

    horizon.pay({ from: outsider(), to: payee.stellar.publicKey(), amount: '1', memo: Memo.id(memoId) });

    await messageTo(payee.telegramId, 'wrong asset');
    expect((await invoiceRow(id)).status).toBe('OPEN');
  });

  it('refuses an invoice that had expired, or was cancelled, when the payment landed', async () => {
    const payee = await platformUser();
    const expired = await invoice({
      payee,
      amountBase: 10_000_000n,
      expiresAt: new Date(Date.now() - 60_000),
    });
    const cancelled = await invoice({ payee, amountBase: 10_000_000n, status: 'CANCELLED' });

    horizon.pay({
      from: outsider(),
      to: payee.stellar.publicKey(),
      amount: '1',
      memo: Memo.id(expired.memoId),
    });
    horizon.pay({
      from: outsider(),
      to: payee.stellar.publicKey(),
      amount: '1',
      memo: Memo.id(cancelled.memoId),
    });

    await messageTo(payee.telegramId, 'the invoice had expired. Not marked paid.');
    await messageTo(payee.telegramId, 'the invoice was cancelled. Not marked paid.');
    expect((await invoiceRow(expired.id)).status).toBe('OPEN');
    expect((await invoiceRow(cancelled.id)).status).toBe('CANCELLED');
  });

  it('lets only the first of two payments settle the invoice', async () => {
    const payee = await platformUser();
    const { id, memoId } = await invoice({ payee, amountBase: 10_000_000n });
    const payer = outsider();

    const first = horizon.pay({
      from: payer,
      to: payee.stellar.publicKey(),
      amount: '1',
      memo: Memo.id(memoId),
    });
    const second = horizon.pay({
      from: payer,
      to: payee.stellar.publicKey(),
      amount: '1',
      memo: Memo.id(memoId),
    });

    await messageTo(payee.telegramId, 'is paid');
    await messageTo(payee.telegramId, 'it was already paid');
    expect((await invoiceRow(id)).settlement_ref).toBe((await depositOf(first.hash))!.event_key);
    expect(await depositOf(second.hash)).toMatchObject({ invoice_id: id, invoice_outcome: 'already-paid' });
  });

  it('says so when the memo names no invoice, or an invoice payable elsewhere', async () => {
    const payee = await platformUser();
    const someoneElse = await platformUser();
    const theirs = await invoice({ payee: someoneElse, amountBase: 10_000_000n, description: 'private' });

    horizon.pay({ from: outsider(), to: payee.stellar.publicKey(), amount: '1', memo: Memo.id('999999999') });
    horizon.pay({
      from: outsider(),
      to: payee.stellar.publicKey(),
      amount: '2',
      memo: Memo.id(theirs.memoId),
    });

    await messageTo(payee.telegramId, 'Its memo matches none of your invoices.');
    const elsewhere = await messageTo(payee.telegramId, 'payable to another address');
    expect(elsewhere).not.toContain('private');
    expect((await invoiceRow(theirs.id)).status).toBe('OPEN');
  });

  it('shows a text memo as it came and matches no invoice with it', async () => {
    const payee = await platformUser();
    await invoice({ payee, amountBase: 10_000_000n });

    horizon.pay({ from: outsider(), to: payee.stellar.publicKey(), amount: '1', memo: 'order <42>' });

    expect(await messageTo(payee.telegramId, 'Memo')).toMatch(
      /^💰 You received <b>1 XLM<\/b> from <code>G\w+<\/code>\.\nMemo: <code>order &lt;42&gt;<\/code>$/,
    );
  });
});

/** Records what the sink queues, without Redis. */
function recordingJobs(): { jobs: Pick<JobProducer, 'notify'>; sent: Notification[] } {
  const sent: Notification[] = [];
  return { jobs: { notify: async (notification) => void sent.push(notification) }, sent };
}

function evmTransfer(to: TestUser, overrides: Partial<DepositObservation> = {}): DepositObservation {
  return evmTransferTo({ walletId: to.evmWalletId, address: to.evmAddress }, overrides);
}

describe('the deposit sink, as the EVM watcher uses it', () => {
  let sink: DepositSink;
  let sent: Notification[];

  beforeAll(() => {
    const recording = recordingJobs();
    sent = recording.sent;
    sink = createDepositSink({
      store: createDepositRepository(pool),
      jobs: recording.jobs,
      knownTokens: KNOWN_TOKENS,
      logger,
    });
  });

  it('finds wallets by address in any letter case, and muxed Stellar addresses by their base account', async () => {
    const user = await platformUser();
    const muxed = 'M' + 'A'.repeat(68);
    const found = await sink.resolveWallets('EVM', [
      user.evmAddress.toLowerCase(),
      '0x' + '1'.repeat(40),
      'junk',
    ]);
    expect([...found.entries()].map(([address, wallet]) => [address, wallet.walletId])).toEqual([
      [user.evmAddress.toLowerCase(), user.evmWalletId],
    ]);
    expect(
      (await sink.resolveWallets('STELLAR', [muxed, user.stellar.publicKey()])).get(user.stellar.publicKey()),
    ).toMatchObject({ walletId: user.stellarWalletId });
  });

  it('credits a pending transfer once, on confirmation, and pays the oldest open invoice of exactly that amount', async () => {
    const payee = await platformUser();
    const older = await invoice({
      payee,
      rail: 'EVM',
      assetCode: 'USDC',
      assetIssuer: TOKEN,
      amountBase: 10_000_000n,
      createdAt: new Date(Date.now() - 60_000),
    });
    const newer = await invoice({
      payee,
      rail: 'EVM',
      assetCode: 'USDC',
      assetIssuer: TOKEN,
      amountBase: 10_000_000n,
    });
    const transfer = evmTransfer(payee, { assetIssuer: TOKEN.toLowerCase() });
    sent.length = 0;

    const recorded = await sink.record([transfer, transfer], { status: 'PENDING' });
    expect(recorded.recorded.map((deposit) => deposit.status)).toEqual(['PENDING']);
    expect(sent).toEqual([]);
    expect((await sink.record([transfer], { status: 'PENDING' })).alreadyRecorded).toEqual([
      transfer.eventKey,
    ]);

    const [credited] = await sink.credit([transfer.eventKey]);
    expect(credited).toMatchObject({ status: 'CREDITED', invoiceId: older.id, invoiceOutcome: 'paid' });
    expect(await sink.credit([transfer.eventKey])).toEqual([]);
    expect(sent).toEqual([
      { kind: 'invoice-paid', invoiceId: older.id, deposit: { id: credited!.id, revision: 0 } },
    ]);
    expect((await invoiceRow(older.id)).status).toBe('PAID');
    expect((await invoiceRow(newer.id)).status).toBe('OPEN');
  });

  it('never lets a look-alike token contract pay an invoice', async () => {
    const payee = await platformUser();
    const real = await invoice({
      payee,
      rail: 'EVM',
      assetCode: 'USDC',
      assetIssuer: TOKEN,
      amountBase: 10_000_000n,
    });

    const result = await sink.record([evmTransfer(payee, { assetIssuer: LOOKALIKE })], {
      status: 'CREDITED',
    });

    expect(result.recorded[0]).toMatchObject({ invoiceId: real.id, invoiceOutcome: 'unknown-token' });
    expect((await invoiceRow(real.id)).status).toBe('OPEN');
  });

  it('explains a short transfer and one in another token, without paying', async () => {
    const payee = await platformUser();
    const usdc = await invoice({
      payee,
      rail: 'EVM',
      assetCode: 'USDC',
      assetIssuer: TOKEN,
      amountBase: 10_000_000n,
    });

    const short = await sink.record([evmTransfer(payee, { amountBase: 4_000_000n })], { status: 'CREDITED' });
    const native = await sink.record([evmTransfer(payee, { assetCode: 'ETH', assetIssuer: null })], {
      status: 'CREDITED',
    });
    const plain = await sink.record([evmTransfer(payee, { amountBase: 11_000_000n })], {
      status: 'CREDITED',
    });

    expect(short.recorded[0]).toMatchObject({ invoiceId: usdc.id, invoiceOutcome: 'short' });
    expect(native.recorded[0]).toMatchObject({ invoiceId: usdc.id, invoiceOutcome: 'wrong-asset' });
    expect(plain.recorded[0]).toMatchObject({ invoiceId: null, invoiceOutcome: null });
    expect((await invoiceRow(usdc.id)).status).toBe('OPEN');
  });

  it('reverses a credited transfer after a reorg: owner told once, invoice open again', async () => {
    const payee = await platformUser();
    const { id } = await invoice({
      payee,
      rail: 'EVM',
      assetCode: 'USDC',
      assetIssuer: TOKEN,
      amountBase: 10_000_000n,
    });
    const transfer = evmTransfer(payee);
    await sink.record([transfer], { status: 'CREDITED' });
    expect((await invoiceRow(id)).status).toBe('PAID');
    sent.length = 0;

    const { reversed, dropped } = await sink.reverse([transfer.eventKey]);
    expect(reversed).toEqual([expect.objectContaining({ eventKey: transfer.eventKey, status: 'REVERSED' })]);
    expect(dropped).toEqual([]);
    expect(await sink.reverse([transfer.eventKey])).toEqual({ reversed: [], dropped: [] });
    expect(sent).toEqual([{ kind: 'deposit-reversed', depositId: reversed[0]!.id, revision: 0 }]);
    expect(await invoiceRow(id)).toEqual({ status: 'OPEN', settlement_ref: null, paid_by_user_id: null });
  });

  it('drops a pending transfer silently, and records it afresh when it is mined again', async () => {
    const payee = await platformUser();
    const transfer = evmTransfer(payee);
    await sink.record([transfer], { status: 'PENDING' });
    sent.length = 0;

    const { dropped } = await sink.reverse([transfer.eventKey]);
    expect(dropped.map((deposit) => deposit.status)).toEqual(['DROPPED']);
    const again = await sink.record([{ ...transfer, height: 101n, blockHash: `0x${'ab'.repeat(32)}` }], {
      status: 'PENDING',
    });
    expect(again.recorded).toHaveLength(1);
    expect(sent).toEqual([]);
    const { rows } = await pool.query(
      'SELECT status::text, height::text, block_hash FROM chain_deposits WHERE event_key = $1',
      [transfer.eventKey],
    );
    expect(rows).toEqual([{ status: 'PENDING', height: '101', block_hash: `0x${'ab'.repeat(32)}` }]);
  });

  it('records each transfer once when two callers record overlapping batches at the same time', async () => {
    const payee = await platformUser();
    const transfers = Array.from({ length: 40 }, (_, i) => evmTransfer(payee, { amountBase: BigInt(i + 1) }));
    sent.length = 0;

    const [a, b] = await Promise.all([
      sink.record(transfers.slice(0, 30), { status: 'CREDITED' }),
      sink.record(transfers.slice(10).reverse(), { status: 'CREDITED' }),
    ]);

    const keys = [...a.recorded, ...b.recorded].map((deposit) => deposit.eventKey);
    expect(new Set(keys).size).toBe(40);
    expect(keys).toHaveLength(40);
    expect(sent).toHaveLength(40);
  });

  it('advances a watcher cursor with the deposits, never backwards', async () => {
    const payee = await platformUser();
    await sink.record([evmTransfer(payee)], {
      status: 'PENDING',
      cursor: { name: 'evm-test', value: '120' },
    });
    await sink.record([], { status: 'PENDING', cursor: { name: 'evm-test', value: '90' } });
    const { rows } = await pool.query("SELECT cursor FROM watcher_cursors WHERE name = 'evm-test'");
    expect(rows).toEqual([{ cursor: '120' }]);
  });
});

describe('EVM deposit messages', () => {
  it('formats a known token with its decimals and warns about an unknown contract', async () => {
    const owner = await platformUser();
    const sink = createDepositSink({
      store: createDepositRepository(pool),
      jobs,
      knownTokens: KNOWN_TOKENS,
      logger,
    });
    const from = EvmWallet.createRandom().address;

    await sink.record([evmTransfer(owner, { amountBase: 12_500_000n, fromAddress: from })], {
      status: 'CREDITED',
    });
    await sink.record([evmTransfer(owner, { assetIssuer: LOOKALIKE, amountBase: 7n })], {
      status: 'CREDITED',
    });

    expect(await messageTo(owner.telegramId, '12.5 USDC')).toBe(
      `💰 You received <b>12.5 USDC</b> from <code>${from}</code>.`,
    );
    expect(await messageTo(owner.telegramId, 'look-alike')).toContain(
      `You received 7 base units of a token that calls itself “USDC”`,
    );
  });
});
