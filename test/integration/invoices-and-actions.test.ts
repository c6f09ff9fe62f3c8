import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keypair } from '@stellar/stellar-sdk';
import { Wallet as EvmWallet } from 'ethers';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createInvoiceRepository } from '../../core/adapters/invoice-repository.ts';
import { createPendingActionRepository } from '../../core/adapters/pending-action-repository.ts';
import { createPaymentIntentRepository } from '../../core/adapters/payment-intent-repository.ts';
import { createUserRepository } from '../../core/adapters/user-repository.ts';
import { createWalletRepository } from '../../core/adapters/wallet-repository.ts';
import {
  consumePendingAction,
  createPendingAction,
  bindPendingAction,
  parsePendingActionCallbackData,
  pendingActionCallbackData,
} from '../../core/services/pending-actions.ts';
import { submitPaymentOrder } from '../../core/services/payment-orders.ts';
import {
  createInvoiceFromText,
  decideStarsPreCheckout,
  InvoiceRefusedError,
  invoicePayability,
  recordStarsPayment,
  refundStarsPayment,
  type InvoiceDeps,
} from '../../core/services/invoices.ts';
import { paymentIntentKey } from '../../core/domain/intent-keys.ts';
import { parseTokenList } from '../../core/domain/tokens.ts';
import type { JobProducer, PaymentOrder, StellarAccountState, UserRecord } from '../../core/ports.ts';
import { createTestDatabase } from '../support/database.ts';
import { resumePaymentsHandler } from '../../jobs/processors/resume-payments.ts';
import { jobIds } from '../../core/queues.ts';

let prisma: PrismaClient;
let drop: () => Promise<void>;
const NOW = new Date('2026-11-21T12:00:00Z');
const ISSUER = Keypair.random().publicKey();
const TOKEN = new EvmWallet(EvmWallet.createRandom().privateKey).address;

beforeAll(async () => {
  const database = await createTestDatabase('invoices');
  drop = database.drop;
  prisma = createPrismaClient(database.url);
});
afterAll(async () => {
  await prisma.$disconnect();
  await drop();
});

let nextTelegramId = 1000n;
async function userWithWallets(options: { stellarActive?: boolean } = {}) {
  const users = createUserRepository(prisma);
  const wallets = createWalletRepository(prisma);
  const user = await users.ensure(nextTelegramId++, 'en');
  const stellar = await wallets.insertIfAbsent({
    userId: user.id,
    chain: 'STELLAR',
    address: Keypair.random().publicKey(),
    signerKeyId: crypto.randomUUID(),
    status: options.stellarActive === false ? 'PENDING_ACTIVATION' : 'ACTIVE',
  });
  const evm = await wallets.insertIfAbsent({
    userId: user.id,
    chain: 'EVM',
    address: EvmWallet.createRandom().address,
    signerKeyId: crypto.randomUUID(),
    status: 'ACTIVE',
  });
  return { user, stellar, evm };
}

function invoiceDeps(trustlines: StellarAccountState['trustlines'] = []): InvoiceDeps {
  return {
    invoices: createInvoiceRepository(prisma),
    wallets: createWalletRepository(prisma),
    stellar: {
      getAccount: async (address) => ({
        address,
        sequence: '1',
        nativeBalance: 100_000_000n,
        minimumBalance: 10_000_000n,
        trustlines,
        memoRequired: false,
      }),
    },
    settings: { evmChainId: 31337, knownTokens: parseTokenList(`USDT:${TOKEN}:6`), invoiceTtlMinutes: 60 },
  };
}

describe('creating an invoice from /request text', () => {
  it('asks for XLM to the payee wallet with a unique memo id, open until the expiry', async () => {
    const { user, stellar } = await userWithWallets();
    const invoice = await createInvoiceFromText(user.id, '10 XLM coffee beans', NOW, invoiceDeps());
    expect(invoice).toMatchObject({
      rail: 'STELLAR',
      assetCode: 'XLM',
      assetIssuer: null,
      amountBase: 100_000_000n,
      description: 'coffee beans',
      payeeAddress: stellar.address,
      status: 'OPEN',
      expiresAt: new Date(NOW.getTime() + 3_600_000),
    });
    expect(invoice.slug).toMatch(/^[A-Za-z0-9_-]{12}$/);
    const second = await createInvoiceFromText(user.id, '10 XLM', NOW, invoiceDeps());
    expect(second.memoId).not.toBe(invoice.memoId);
    expect(second.slug).not.toBe(invoice.slug);
  });

  it('reads a known ERC-20 by its symbol, the native coin, a trustline asset and Stars', async () => {
    const { user, evm } = await userWithWallets();
    const deps = invoiceDeps([
      { assetCode: 'EURC', assetIssuer: ISSUER, balance: 0n, limit: 10n ** 15n, authorized: true },
    ]);
    expect(await createInvoiceFromText(user.id, '2.5 usdt', NOW, deps)).toMatchObject({
      rail: 'EVM',
      chainId: 31337,
      assetCode: 'USDT',
      assetIssuer: TOKEN,
      amountBase: 2_500_000n,
      payeeAddress: evm.address,
    });
    expect(await createInvoiceFromText(user.id, '0.000000000000000001 ETH', NOW, deps)).toMatchObject({
      rail: 'EVM',
      assetIssuer: null,
      amountBase: 1n,
    });
    expect(await createInvoiceFromText(user.id, '3 EURC', NOW, deps)).toMatchObject({
      rail: 'STELLAR',
      assetCode: 'EURC',
      assetIssuer: ISSUER,
      amountBase: 30_000_000n,
    });
    expect(await createInvoiceFromText(user.id, '50 XTR', NOW, deps)).toMatchObject({
      rail: 'STARS',
      assetCode: 'XTR',
      amountBase: 50n,
      payeeAddress: null,
    });
  });

  it.each([
    ['10 DOGE', 'unknown-asset'],
    ['0 XLM', 'invalid-amount'],
    ['1.12345678 XLM', 'invalid-amount'],
    ['1.5 XTR', 'invalid-amount'],
    ['10001 XTR', 'invalid-amount'],
    ['1.0000001 USDT', 'invalid-amount'],
    [`1 EURC:${Keypair.random().publicKey()}`, 'no-trustline'],
  ])('refuses %j (%s) and stores nothing', async (text, refusal) => {
    const { user } = await userWithWallets();
    const deps = invoiceDeps([
      { assetCode: 'EURC', assetIssuer: ISSUER, balance: 0n, limit: 1n, authorized: true },
    ]);
    const error = await createInvoiceFromText(user.id, text, NOW, deps).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvoiceRefusedError);
    expect((error as InvoiceRefusedError).refusal).toBe(refusal);
    expect(await prisma.invoice.count({ where: { payeeUserId: user.id } })).toBe(0);
  });

  it('refuses a code that is both a known token and a Stellar asset of the payee', async () => {
    const { user } = await userWithWallets();
    const deps = invoiceDeps([
      { assetCode: 'USDT', assetIssuer: ISSUER, balance: 0n, limit: 1n, authorized: true },
    ]);
    await expect(createInvoiceFromText(user.id, '1 USDT', NOW, deps)).rejects.toMatchObject({
      refusal: 'ambiguous-asset',
    });
  });

  it('refuses a Stellar invoice while the payee account is not active yet', async () => {
    const { user } = await userWithWallets({ stellarActive: false });
    await expect(createInvoiceFromText(user.id, '1 XLM', NOW, invoiceDeps())).rejects.toMatchObject({
      refusal: 'wallet-not-active',
    });
  });
});

describe('the life of an invoice', () => {
  it('is cancelled only by its payee and only while open', async () => {
    const { user } = await userWithWallets();
    const { user: other } = await userWithWallets();
    const invoices = createInvoiceRepository(prisma);
    const invoice = await createInvoiceFromText(user.id, '1 XLM', NOW, invoiceDeps());
    expect(await invoices.cancel(invoice.id, other.id)).toBe(false);
    expect(await invoices.cancel(invoice.id, user.id)).toBe(true);
    expect(await invoices.cancel(invoice.id, user.id)).toBe(false);
    expect(invoicePayability((await invoices.findById(invoice.id))!, NOW)).toBe('cancelled');
  });

  it('expires when due, and counts as expired at its expiry even before that', async () => {
    const { user } = await userWithWallets();
    const invoices = createInvoiceRepository(prisma);
    const invoice = await createInvoiceFromText(user.id, '1 XLM', NOW, invoiceDeps());
    expect(invoicePayability(invoice, invoice.expiresAt)).toBe('expired');
    expect(invoicePayability(invoice, NOW)).toBe('payable');
    expect(await invoices.expireDue(new Date(invoice.expiresAt.getTime() - 1))).toBe(0);
    expect(await invoices.expireDue(invoice.expiresAt)).toBeGreaterThanOrEqual(1);
    expect((await invoices.findById(invoice.id))!.status).toBe('EXPIRED');
  });
});

describe('Telegram Stars', () => {
  async function starsInvoice() {
    const { user } = await userWithWallets();
    const invoice = await createInvoiceFromText(user.id, '25 XTR tip', NOW, invoiceDeps());
    return { payee: user, invoice };
  }
  const users = () => createUserRepository(prisma);

  it('accepts a pre-checkout for the right currency and total only', async () => {
    const { invoice } = await starsInvoice();
    const invoices = createInvoiceRepository(prisma);
    const query = { invoicePayload: invoice.slug, currency: 'XTR', totalAmount: 25 };
    expect(await decideStarsPreCheckout(query, NOW, invoices)).toEqual({ ok: true });
    expect(await decideStarsPreCheckout({ ...query, totalAmount: 24 }, NOW, invoices)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(await decideStarsPreCheckout({ ...query, currency: 'USD' }, NOW, invoices)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(await decideStarsPreCheckout({ ...query, invoicePayload: 'nope' }, NOW, invoices)).toEqual({
      ok: false,
      reason: 'unknown',
    });
    expect(await decideStarsPreCheckout(query, invoice.expiresAt, invoices)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('credits a charge once, however often Telegram delivers it', async () => {
    const { invoice } = await starsInvoice();
    const invoices = createInvoiceRepository(prisma);
    const payment = {
      chargeId: `charge-${invoice.id}`,
      invoicePayload: invoice.slug,
      payerTelegramId: 77n,
      totalAmount: 25,
    };
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => recordStarsPayment(payment, NOW, { invoices, users: users() })),
    );
    expect(outcomes.map((result) => result.outcome).sort()).toEqual(['duplicate', 'duplicate', 'settled']);
    const paid = (await invoices.findById(invoice.id))!;
    expect(paid).toMatchObject({ status: 'PAID', settlementRef: payment.chargeId });
    expect(await prisma.starPayment.count({ where: { invoiceId: invoice.id } })).toBe(1);
  });

  it('records a second charge for a paid invoice without settling it again, and refunds it once', async () => {
    const { invoice } = await starsInvoice();
    const invoices = createInvoiceRepository(prisma);
    const base = { invoicePayload: invoice.slug, payerTelegramId: 78n, totalAmount: 25 };
    await recordStarsPayment({ ...base, chargeId: `first-${invoice.id}` }, NOW, { invoices, users: users() });
    const late = await recordStarsPayment({ ...base, chargeId: `second-${invoice.id}` }, NOW, {
      invoices,
      users: users(),
    });
    expect(late.outcome).toBe('not-settled');
    expect((await invoices.findById(invoice.id))!.settlementRef).toBe(`first-${invoice.id}`);

    const refunds: string[] = [];
    const refund = async (_payer: bigint, chargeId: string) => void refunds.push(chargeId);
    expect(await refundStarsPayment(`second-${invoice.id}`, NOW, { invoices, refund })).toBe('refunded');
    expect(await refundStarsPayment(`second-${invoice.id}`, NOW, { invoices, refund })).toBe(
      'already-refunded',
    );
    expect(await refundStarsPayment('no-such-charge', NOW, { invoices, refund })).toBe('unknown-charge');
    expect(refunds).toEqual([`second-${invoice.id}`]);
  });

  it('treats a charge Telegram already refunded as refunded', async () => {
    const { invoice } = await starsInvoice();
    const invoices = createInvoiceRepository(prisma);
    const chargeId = `tg-refunded-${invoice.id}`;
    await recordStarsPayment(
      { chargeId, invoicePayload: invoice.slug, payerTelegramId: 79n, totalAmount: 25 },
      NOW,
      {
        invoices,
        users: users(),
      },
    );
    const refund = async () => {
      throw new Error('Call to refundStarPayment failed! (400: Bad Request: CHARGE_ALREADY_REFUNDED)');
    };
    expect(await refundStarsPayment(chargeId, NOW, { invoices, refund })).toBe('refunded');
  });
});

describe('pending actions behind buttons', () => {
  const repository = () => createPendingActionRepository(prisma);
  async function boundAction(owner: UserRecord, ttlSeconds = 60) {
    const action = await createPendingAction(repository(), {
      kind: 'send',
      telegramUserId: owner.telegramId,
      chatId: owner.telegramId,
      payload: { amount: '1' },
      ttlSeconds,
      now: NOW,
    });
    await bindPendingAction(repository(), action.id, owner.telegramId, 10);
    return action;
  }
  const press = (
    owner: UserRecord,
    id: string,
    overrides: Partial<Parameters<typeof consumePendingAction>[1]> = {},
  ) =>
    consumePendingAction(repository(), {
      id,
      kind: 'send',
      telegramUserId: owner.telegramId,
      chatId: owner.telegramId,
      messageId: 10,
      now: NOW,
      ...overrides,
    });

  it('fits callback_data in 64 bytes and reads back only what it wrote', () => {
    const data = pendingActionCallbackData('A'.repeat(22), 'ok');
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(parsePendingActionCallbackData(data)).toEqual({ id: 'A'.repeat(22), choice: 'ok' });
    for (const forged of ['pa:short:ok', `pa:${'A'.repeat(22)}:OK`, `language:en`, `pa:${'A'.repeat(22)}`])
      expect(parsePendingActionCallbackData(forged)).toBeNull();
  });

  it('lets exactly one of two presses 30 ms apart, or many at once, use the action', async () => {
    const { user } = await userWithWallets();
    const action = await boundAction(user);
    const first = press(user, action.id);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const results = await Promise.all([
      first,
      press(user, action.id),
      ...Array.from({ length: 8 }, () => press(user, action.id)),
    ]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok).map((result) => (result.ok ? '' : result.reason))).toEqual(
      Array(9).fill('used'),
    );
  });

  it('refuses a press by someone else, on another message, after expiry, or with an unknown id', async () => {
    const { user } = await userWithWallets();
    const { user: stranger } = await userWithWallets();
    const action = await boundAction(user);
    expect(await press(stranger, action.id, { chatId: user.telegramId })).toEqual({
      ok: false,
      reason: 'not-yours',
    });
    expect(await press(user, action.id, { messageId: 11 })).toEqual({ ok: false, reason: 'wrong-message' });
    expect(await press(user, action.id, { now: action.expiresAt })).toEqual({ ok: false, reason: 'expired' });
    expect(await press(user, 'B'.repeat(22))).toEqual({ ok: false, reason: 'unknown' });
    expect(await press(user, action.id, { kind: 'pay-invoice' })).toEqual({ ok: false, reason: 'unknown' });
    expect((await press(user, action.id)).ok).toBe(true);
  });

  it('cannot be pressed before it is bound to its message', async () => {
    const { user } = await userWithWallets();
    const action = await createPendingAction(repository(), {
      kind: 'send',
      telegramUserId: user.telegramId,
      chatId: user.telegramId,
      payload: {},
      ttlSeconds: 60,
      now: NOW,
    });
    expect(await press(user, action.id)).toEqual({ ok: false, reason: 'wrong-message' });
  });
});

describe('submitting a confirmed payment order', () => {
  it('records the intent and queues its job once, however often it is submitted', async () => {
    const { user, stellar } = await userWithWallets();
    const queued: string[] = [];
    const jobs = {
      executePayment: async ({ intentKey }: { intentKey: string }) => void queued.push(intentKey),
    } as JobProducer;
    const order: PaymentOrder = {
      key: paymentIntentKey('C'.repeat(22)),
      userId: user.id,
      walletId: stellar.id,
      asset: { chain: 'STELLAR', code: 'USDC', issuer: ISSUER },
      amountBase: 9_223_372_036_854_775_807n,
      destination: Keypair.random().publicKey(),
      recipientUserId: null,
      memo: { type: 'id', value: '18446744073709551615' },
      invoiceId: null,
      statusChatId: user.telegramId,
      statusMessageId: 5,
    };
    const paymentIntents = createPaymentIntentRepository(prisma);
    const [first, second] = await Promise.all([
      submitPaymentOrder(order, { paymentIntents, jobs }),
      submitPaymentOrder(order, { paymentIntents, jobs }),
    ]);
    expect(first.id).toBe(second.id);
    expect(first.order).toEqual(order);
    expect(first.status).toBe('PENDING');
    expect(await prisma.chainIntent.count({ where: { key: order.key } })).toBe(1);
    // The job id is the intent key: BullMQ drops the second add while the first job exists.
    expect(new Set(queued)).toEqual(new Set([order.key]));
  });
});

describe('resuming payments left unsettled', () => {
  it('queues again, once per round, only payments whose stored transaction nobody settled for a while', async () => {
    const { user, stellar } = await userWithWallets();
    const paymentIntents = createPaymentIntentRepository(prisma);
    const order = (suffix: string): PaymentOrder => ({
      key: paymentIntentKey(suffix.padEnd(22, 'R')),
      userId: user.id,
      walletId: stellar.id,
      asset: { chain: 'STELLAR', code: 'XLM', issuer: null },
      amountBase: 1n,
      destination: Keypair.random().publicKey(),
      recipientUserId: null,
      memo: null,
      invoiceId: null,
      statusChatId: user.telegramId,
      statusMessageId: 1,
    });
    const stale = order('stale');
    const fresh = order('fresh');
    const done = order('done');
    for (const each of [stale, fresh, done]) await paymentIntents.create(each);
    const longAgo = new Date(Date.now() - 3600_000);
    await prisma.$executeRaw`UPDATE chain_intents SET status = 'SUBMITTED', envelope = 'x', updated_at = ${longAgo} WHERE key = ${stale.key}`;
    await prisma.$executeRaw`UPDATE chain_intents SET status = 'SIGNED', envelope = 'x' WHERE key = ${fresh.key}`;
    await prisma.$executeRaw`UPDATE chain_intents SET status = 'CONFIRMED', updated_at = ${longAgo} WHERE key = ${done.key}`;

    const queued: { intentKey: string; resumeRound?: number }[] = [];
    const handler = resumePaymentsHandler({
      paymentIntents,
      jobs: { executePayment: async (input) => void queued.push(input) },
      now: () => new Date(),
    });
    const log = { info: () => undefined, warn: () => undefined } as unknown as Parameters<
      typeof handler.run
    >[0]['log'];
    await handler.run({ payload: {}, log } as Parameters<typeof handler.run>[0]);
    expect(
      queued.map((entry) => entry.intentKey).filter((key) => [stale.key, fresh.key, done.key].includes(key)),
    ).toEqual([stale.key]);
    expect(jobIds.payment(stale.key, queued[0]!.resumeRound)).toMatch(/^pay-staleR+-resume-\d+$/);
  });
});
