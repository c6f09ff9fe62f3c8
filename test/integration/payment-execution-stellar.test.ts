import { Asset, Keypair, MuxedAccount, Account } from '@stellar/stellar-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStellarNetwork } from '../../core/adapters/stellar-horizon.ts';
import { parseStellarAmount } from '../../core/domain/amounts.ts';
import type { IntentProgress } from '../../core/services/payment-execution/ports.ts';
import { envelopeFacts } from '../../core/services/payment-execution/stellar-envelope.ts';
import { abandonPayment, executePayment } from '../../core/services/payment-execution.ts';
import type { PaymentOrder, StellarNetwork } from '../../core/ports.ts';
import type { HorizonDouble } from '../doubles/horizon-double.ts';
import {
  intentRow,
  newPayer,
  paymentDeps,
  recordOrder,
  recordingStatus,
  startPaymentTestEnv,
  type PaymentTestEnv,
} from './payment-execution-support.ts';

let env: PaymentTestEnv;
let horizon: HorizonDouble;

beforeAll(async () => {
  env = await startPaymentTestEnv({
    name: 'pay_stellar',
    horizon: true,
    dailyLimits: 'wallet:stellar:native=500',
  });
  horizon = env.horizon!;
});
afterAll(async () => {
  await env?.close();
});

const XLM = { chain: 'STELLAR', code: 'XLM', issuer: null } as const;

/** A payer holding 100 XLM and a fresh recipient holding 10, and an order of `xlm` between them. */
async function payment(xlm = '12.5', extra: Partial<PaymentOrder> = {}) {
  const payer = await newPayer(env, { xlm: '100' });
  const recipient = Keypair.random().publicKey();
  horizon.createAccount(recipient, '10');
  const order = await recordOrder(env, {
    userId: payer.userId,
    walletId: payer.stellar.id,
    asset: XLM,
    amountBase: parseStellarAmount(xlm),
    destination: recipient,
    ...extra,
  });
  return { payer, recipient, order, source: payer.stellar.address };
}

const balanceOf = (address: string) => horizon.account(address)?.balance;
const landedFrom = (source: string) => horizon.transactions().filter((tx) => tx.sourceAccount === source);
const submissions = () =>
  horizon.requests().filter((request) => request.method === 'POST' && request.path === '/transactions')
    .length;

describe('executing a Stellar payment', () => {
  it('pays once, marks the intent confirmed and moves the status message through every stage', async () => {
    const { order, recipient, source } = await payment('12.5');
    const status = recordingStatus();
    const outcome = await executePayment(order.key, paymentDeps(env, { status: status.reporter }));

    const row = await intentRow(env, order.key);
    expect(outcome).toEqual({ status: 'confirmed', txHash: row.txHash });
    expect(row.status).toBe('CONFIRMED');
    expect(row.validUntil).not.toBeNull();
    expect(balanceOf(recipient)).toBe(parseStellarAmount('22.5'));
    expect(balanceOf(source)).toBe(parseStellarAmount('87.5') - horizon.baseFee);
    expect(status.stagesOf(order.key)).toEqual(['signing', 'submitted', 'confirmed']);

    const before = submissions();
    expect(await executePayment(order.key, paymentDeps(env))).toEqual(outcome);
    expect(submissions()).toBe(before);
  });

  it('pays a muxed address with the order’s text memo', async () => {
    const recipient = Keypair.random().publicKey();
    horizon.createAccount(recipient, '10');
    const { order } = await payment('1', {
      destination: new MuxedAccount(new Account(recipient, '0'), '77').accountId(),
      memo: { type: 'text', value: 'coffee ☕' },
    });
    await executePayment(order.key, paymentDeps(env));
    const { txHash } = await intentRow(env, order.key);
    const tx = horizon.transactions().find((entry) => entry.hash === txHash)!;
    expect(tx).toMatchObject({ successful: true, memoType: 'text', memo: 'coffee ☕' });
    expect(balanceOf(recipient)).toBe(parseStellarAmount('11'));
  });
});

describe('paying an issued asset', () => {
  /** The payer's wallet issues USD: an issuer pays its own asset without a trustline. */
  async function usdPayment(holderTrusts: boolean) {
    const payer = await newPayer(env, { xlm: '20' });
    const holder = Keypair.random();
    horizon.createAccount(holder.publicKey(), '10');
    const usd = new Asset('USD', payer.stellar.address);
    if (holderTrusts) horizon.trust({ account: holder, asset: usd });
    const order = await recordOrder(env, {
      userId: payer.userId,
      walletId: payer.stellar.id,
      asset: { chain: 'STELLAR', code: 'USD', issuer: payer.stellar.address },
      amountBase: parseStellarAmount('5'),
      destination: holder.publicKey(),
    });
    return { order, holder, usd };
  }

  it('pays an account that trusts the asset', async () => {
    const { order, holder, usd } = await usdPayment(true);
    expect(await executePayment(order.key, paymentDeps(env))).toMatchObject({ status: 'confirmed' });
    const line = horizon
      .account(holder.publicKey())!
      .trustlines.find((entry) => entry.code === usd.getCode());
    expect(line?.balance).toBe(parseStellarAmount('5'));
  });

  it('tells the payer when the destination has no trustline', async () => {
    const { order } = await usdPayment(false);
    await expect(executePayment(order.key, paymentDeps(env))).rejects.toMatchObject({
      code: 'PAYMENT_FAILED',
      reason: 'destination-no-trustline',
    });
  });
});

describe('when the worker dies after signing but before recording', () => {
  it('signs a new envelope for the same sequence on restart, so only one can ever land', async () => {
    const { order, recipient, source } = await payment('3');
    let lost: string | undefined;
    // Built a few seconds earlier, so its maxTime (and hash) differs from the rebuilt one.
    const base = paymentDeps(env, { clock: () => Date.now() - 5_000 });
    const crashing: IntentProgress = {
      ...base.intents,
      recordSigned: async (_key, input) => {
        lost = input.envelope;
        throw new Error('worker killed');
      },
    };
    await expect(executePayment(order.key, { ...base, intents: crashing })).rejects.toThrow('worker killed');
    expect((await intentRow(env, order.key)).envelope).toBeNull();
    expect(landedFrom(source)).toHaveLength(0);

    await executePayment(order.key, paymentDeps(env));
    const stored = (await intentRow(env, order.key)).envelope!;
    expect(stored).not.toBe(lost);
    expect(envelopeFacts(stored).sequence).toBe(envelopeFacts(lost!).sequence);
    // The lost envelope, had it escaped, is fenced off by the sequence number.
    expect(horizon.submit(lost!)).toMatchObject({
      status: 'rejected',
      resultCodes: { transaction: 'tx_bad_seq' },
    });
    expect(landedFrom(source)).toHaveLength(1);
    expect(balanceOf(recipient)).toBe(parseStellarAmount('13'));
  });
});

describe('when the worker dies after submitting but before recording', () => {
  it('finds the landed transaction by hash on restart and charges once', async () => {
    const { order, recipient, source } = await payment('4');
    const base = paymentDeps(env);
    const crashing: StellarNetwork = {
      ...base.stellar,
      submit: async (envelope) => {
        await base.stellar.submit(envelope);
        throw new Error('worker killed');
      },
    };
    await expect(executePayment(order.key, { ...base, stellar: crashing })).rejects.toThrow('worker killed');
    expect((await intentRow(env, order.key)).status).toBe('SUBMITTED');

    const before = submissions();
    expect(await executePayment(order.key, paymentDeps(env))).toMatchObject({ status: 'confirmed' });
    expect(submissions()).toBe(before);
    expect(landedFrom(source)).toHaveLength(1);
    expect(balanceOf(recipient)).toBe(parseStellarAmount('14'));
  });
});

describe('when Horizon answers 504', () => {
  it('finds the envelope it applied anyway instead of paying again', async () => {
    const { order, recipient, source } = await payment('5');
    horizon.failNext({ status: 504, apply: true });
    await expect(executePayment(order.key, paymentDeps(env))).rejects.toMatchObject({
      code: 'STELLAR_SUBMISSION_UNKNOWN',
    });
    expect(await executePayment(order.key, paymentDeps(env))).toMatchObject({ status: 'confirmed' });
    expect(landedFrom(source)).toHaveLength(1);
    expect(balanceOf(recipient)).toBe(parseStellarAmount('15'));
  });

  it('resubmits the identical envelope when nothing was applied', async () => {
    const { order, recipient, source } = await payment('6');
    horizon.failNext({ status: 504 });
    await expect(executePayment(order.key, paymentDeps(env))).rejects.toMatchObject({
      code: 'STELLAR_SUBMISSION_UNKNOWN',
    });
    const first = (await intentRow(env, order.key)).envelope;
    await executePayment(order.key, paymentDeps(env));
    expect(landedFrom(source).map((tx) => tx.envelopeXdr)).toEqual([first]);
    expect(balanceOf(recipient)).toBe(parseStellarAmount('16'));
  });
});

describe('when the submission times out', () => {
  it('resubmits the identical envelope on the next run', async () => {
    const { order, source } = await payment('7');
    horizon.timeoutNext({ holdMs: 5_000 });
    const impatient = paymentDeps(env, {
      stellar: createStellarNetwork({
        horizonUrl: horizon.url,
        friendbotUrl: undefined,
        passphrase: horizon.passphrase,
        timeoutMs: 300,
      }),
    });
    await expect(executePayment(order.key, impatient)).rejects.toMatchObject({
      code: 'STELLAR_SUBMISSION_UNKNOWN',
      reason: 'timeout',
    });
    const first = (await intentRow(env, order.key)).envelope;
    await executePayment(order.key, paymentDeps(env));
    expect(landedFrom(source).map((tx) => tx.envelopeXdr)).toEqual([first]);
  });
});

describe('when the stored envelope is refused as too late', () => {
  it('keeps it while its expiry is not proven, and rebuilds only once it is', async () => {
    let offsetMs = 0;
    const clock = () => Date.now() + offsetMs;
    const { order, recipient, source } = await payment('8');
    horizon.failNext({ status: 504 });
    await expect(executePayment(order.key, paymentDeps(env, { clock }))).rejects.toMatchObject({
      code: 'STELLAR_SUBMISSION_UNKNOWN',
    });
    const first = (await intentRow(env, order.key)).envelope!;

    // The network's clock is past maxTime; ours is not past maxTime plus the ingestion grace.
    horizon.advanceTime(90);
    try {
      await expect(executePayment(order.key, paymentDeps(env, { clock }))).rejects.toMatchObject({
        code: 'STELLAR_ENVELOPE_UNDECIDED',
      });
      expect((await intentRow(env, order.key)).envelope).toBe(first);

      offsetMs = 120_000;
      expect(await executePayment(order.key, paymentDeps(env, { clock }))).toMatchObject({
        status: 'confirmed',
      });
    } finally {
      horizon.advanceTime(-90);
    }
    const landed = landedFrom(source);
    expect(landed).toHaveLength(1);
    expect(landed[0]!.envelopeXdr).not.toBe(first);
    expect(balanceOf(recipient)).toBe(parseStellarAmount('18'));
    expect((await intentRow(env, order.key)).attempts).toBe(2);
  });
});

describe('when another payment took the sequence of a stored envelope', () => {
  it('discards the envelope, rebuilds once and both pay exactly once', async () => {
    const { order, recipient, source, payer } = await payment('2');
    horizon.failNext({ status: 504 });
    await expect(executePayment(order.key, paymentDeps(env))).rejects.toMatchObject({
      code: 'STELLAR_SUBMISSION_UNKNOWN',
    });
    const stale = (await intentRow(env, order.key)).envelope!;
    const other = await recordOrder(env, {
      userId: payer.userId,
      walletId: payer.stellar.id,
      asset: XLM,
      amountBase: parseStellarAmount('1'),
      destination: recipient,
    });
    await executePayment(other.key, paymentDeps(env));
    const otherEnvelope = (await intentRow(env, other.key)).envelope!;
    expect(envelopeFacts(otherEnvelope).sequence).toBe(envelopeFacts(stale).sequence);

    await executePayment(order.key, paymentDeps(env));
    expect(landedFrom(source)).toHaveLength(2);
    expect(landedFrom(source).some((tx) => tx.envelopeXdr === stale)).toBe(false);
    expect(balanceOf(recipient)).toBe(parseStellarAmount('13'));
  });
});

describe('when the network refuses the payment for good', () => {
  it('tells the payer the destination does not exist and never submits again', async () => {
    const payer = await newPayer(env, { xlm: '50' });
    const order = await recordOrder(env, {
      userId: payer.userId,
      walletId: payer.stellar.id,
      asset: XLM,
      amountBase: parseStellarAmount('1'),
      destination: Keypair.random().publicKey(),
    });
    const status = recordingStatus();
    await expect(
      executePayment(order.key, paymentDeps(env, { status: status.reporter })),
    ).rejects.toMatchObject({
      code: 'PAYMENT_FAILED',
      reason: 'destination-missing',
    });
    expect((await intentRow(env, order.key)).status).toBe('FAILED');
    expect(status.updatesOf(order.key).at(-1)).toEqual({ stage: 'failed', reason: 'destination-missing' });

    const before = submissions();
    expect(await executePayment(order.key, paymentDeps(env))).toEqual({
      status: 'failed',
      reason: 'destination-missing',
    });
    expect(submissions()).toBe(before);
  });

  it('tells the payer a memo is required before anything is sent (SEP-29)', async () => {
    const { order, recipient } = await payment('1');
    horizon.setAccountData(recipient, 'config.memo_required', '1');
    const before = submissions();
    await expect(executePayment(order.key, paymentDeps(env))).rejects.toMatchObject({
      reason: 'memo-required',
    });
    expect(submissions()).toBe(before);
  });
});

describe('when the signer refuses', () => {
  it('fails for good on the daily limit, with nothing stored or submitted', async () => {
    const payer = await newPayer(env, { xlm: '1000' });
    const recipient = Keypair.random().publicKey();
    horizon.createAccount(recipient, '10');
    const order = await recordOrder(env, {
      userId: payer.userId,
      walletId: payer.stellar.id,
      asset: XLM,
      amountBase: parseStellarAmount('600'),
      destination: recipient,
    });
    await expect(executePayment(order.key, paymentDeps(env))).rejects.toMatchObject({
      reason: 'daily-limit',
    });
    const row = await intentRow(env, order.key);
    expect(row).toMatchObject({ status: 'FAILED', envelope: null });
    expect(landedFrom(payer.stellar.address)).toHaveLength(0);
  });
});

describe('when the order pays an invoice', () => {
  it('refuses before signing once the invoice is no longer open', async () => {
    const { order, payer, recipient } = await payment('1');
    const invoice = await env.prisma.invoice.create({
      data: {
        slug: `inv-${order.key.slice(-10)}`,
        payeeUserId: payer.userId,
        rail: 'STELLAR',
        assetCode: 'XLM',
        amountBase: '10000000',
        description: 'coffee',
        payeeAddress: recipient,
        status: 'PAID',
        expiresAt: new Date(Date.now() + 3600_000),
      },
    });
    const invoiceOrder = await recordOrder(env, { ...order, key: `${order.key}i`, invoiceId: invoice.id });
    await expect(executePayment(invoiceOrder.key, paymentDeps(env))).rejects.toMatchObject({
      reason: 'invoice-paid',
    });
    expect((await intentRow(env, invoiceOrder.key)).envelope).toBeNull();
  });
});

describe('when the job runs out of attempts', () => {
  it('fails the payment and says nothing was sent when no envelope was stored', async () => {
    const { order } = await payment('1');
    const base = paymentDeps(env);
    const down: StellarNetwork = {
      ...base.stellar,
      getSequence: () => Promise.reject(new Error('Horizon unreachable')),
    };
    await expect(executePayment(order.key, { ...base, stellar: down })).rejects.toThrow(
      'Horizon unreachable',
    );
    const status = recordingStatus();
    await abandonPayment(order.key, paymentDeps(env, { status: status.reporter }));
    expect((await intentRow(env, order.key)).status).toBe('FAILED');
    expect(status.updatesOf(order.key)).toEqual([{ stage: 'failed', reason: 'network' }]);
  });

  it('keeps a stored envelope for a later run and tells the payer it is unconfirmed', async () => {
    const { order, recipient } = await payment('1');
    horizon.failNext({ status: 504 });
    await expect(executePayment(order.key, paymentDeps(env))).rejects.toMatchObject({
      code: 'STELLAR_SUBMISSION_UNKNOWN',
    });
    const { txHash } = await intentRow(env, order.key);
    const status = recordingStatus();
    await abandonPayment(order.key, paymentDeps(env, { status: status.reporter }));
    expect(status.updatesOf(order.key)).toEqual([{ stage: 'unconfirmed', txHash }]);
    expect((await intentRow(env, order.key)).status).toBe('SUBMITTED');

    expect(await executePayment(order.key, paymentDeps(env))).toEqual({ status: 'confirmed', txHash });
    expect(balanceOf(recipient)).toBe(parseStellarAmount('11'));
  });
});

describe('under surge pricing', () => {
  const XLM_100 = parseStellarAmount('100');

  it('offers the fee fee_stats shows and is charged the clearing price, once', async () => {
    const { order, recipient, source } = await payment('2');
    const status = recordingStatus();
    horizon.setSurge({ minFeePerOperation: 1_000n, feeCharged: { p50: 1_000n, p90: 1_500n } });
    try {
      expect(await executePayment(order.key, paymentDeps(env, { status: status.reporter }))).toMatchObject({
        status: 'confirmed',
      });
    } finally {
      horizon.setSurge(null);
    }
    const [landed] = landedFrom(source);
    expect(landed).toMatchObject({ maxFee: 1_500n, feeCharged: 1_000n });
    expect(balanceOf(source)).toBe(XLM_100 - parseStellarAmount('2') - 1_000n);
    expect(balanceOf(recipient)).toBe(parseStellarAmount('12'));
    expect(status.stagesOf(order.key)).toEqual(['signing', 'submitted', 'confirmed']);
  });

  describe('when the surge outruns the fee statistics', () => {
    it('keeps the refused envelope without telling the payer it failed, and lands it once the surge passes', async () => {
      const { order, recipient, source } = await payment('3');
      const status = recordingStatus();
      // fee_stats still shows 300 per operation while the network now takes 1,000 or more.
      horizon.setSurge({ minFeePerOperation: 1_000n, feeCharged: { p90: 300n } });
      let refused;
      try {
        await expect(
          executePayment(order.key, paymentDeps(env, { status: status.reporter })),
        ).rejects.toMatchObject({
          code: 'STELLAR_ENVELOPE_UNDECIDED',
          fields: { codes: ['tx_insufficient_fee'] },
        });
        refused = await intentRow(env, order.key);
        expect(refused).toMatchObject({ status: 'SUBMITTED', attempts: 1 });

        // The job's next attempt, still in the surge: the same bytes again, nothing new built.
        await expect(
          executePayment(order.key, paymentDeps(env, { status: status.reporter })),
        ).rejects.toMatchObject({ code: 'STELLAR_ENVELOPE_UNDECIDED' });
        expect(await intentRow(env, order.key)).toMatchObject({
          envelope: refused.envelope,
          txHash: refused.txHash,
          attempts: 1,
        });
      } finally {
        horizon.setSurge(null);
      }
      expect(status.stagesOf(order.key)).not.toContain('failed');
      expect(landedFrom(source)).toHaveLength(0);
      expect(balanceOf(source)).toBe(XLM_100);

      const outcome = await executePayment(order.key, paymentDeps(env, { status: status.reporter }));
      expect(outcome).toEqual({ status: 'confirmed', txHash: refused.txHash });
      expect(status.stagesOf(order.key).at(-1)).toBe('confirmed');
      const before = submissions();
      expect(await executePayment(order.key, paymentDeps(env))).toEqual(outcome);
      expect(submissions()).toBe(before);

      const landed = landedFrom(source);
      expect(landed).toHaveLength(1);
      expect(landed[0]).toMatchObject({ envelopeXdr: refused.envelope, maxFee: 300n, feeCharged: 100n });
      expect(balanceOf(source)).toBe(XLM_100 - parseStellarAmount('3') - 100n);
      expect(balanceOf(recipient)).toBe(parseStellarAmount('13'));
    });

    it('rebuilds with a fresh fee only once the refused envelope provably cannot land', async () => {
      let offsetMs = 0;
      const clock = () => Date.now() + offsetMs;
      const { order, recipient, source } = await payment('4');
      horizon.setSurge({ minFeePerOperation: 1_000n, feeCharged: { p90: 300n } });
      try {
        await expect(executePayment(order.key, paymentDeps(env, { clock }))).rejects.toMatchObject({
          code: 'STELLAR_ENVELOPE_UNDECIDED',
        });
        const refused = (await intentRow(env, order.key)).envelope!;

        // The surge goes on and the statistics catch up, while the refused envelope expires.
        horizon.setSurge({ minFeePerOperation: 1_000n });
        horizon.advanceTime(120);
        offsetMs = 120_000;
        try {
          expect(await executePayment(order.key, paymentDeps(env, { clock }))).toMatchObject({
            status: 'confirmed',
          });
        } finally {
          horizon.advanceTime(-120);
        }
        const landed = landedFrom(source);
        expect(landed).toHaveLength(1);
        expect(landed[0]!.envelopeXdr).not.toBe(refused);
        expect(envelopeFacts(landed[0]!.envelopeXdr).sequence).toBe(envelopeFacts(refused).sequence);
        expect(landed[0]).toMatchObject({ maxFee: 1_000n, feeCharged: 1_000n });
        // The refused envelope is fenced off by the sequence number, should it ever be resubmitted.
        expect(horizon.submit(refused)).toMatchObject({ status: 'rejected' });
      } finally {
        horizon.setSurge(null);
      }
      expect(balanceOf(source)).toBe(XLM_100 - parseStellarAmount('4') - 1_000n);
      expect(balanceOf(recipient)).toBe(parseStellarAmount('14'));
      expect((await intentRow(env, order.key)).attempts).toBe(2);
    });
  });

  describe('when the fee the network asks is above the cap', () => {
    it('waits with nothing signed, and pays once the surge has passed', async () => {
      const { order, recipient, source } = await payment('5');
      const status = recordingStatus();
      const before = submissions();
      horizon.setSurge({ minFeePerOperation: 20_000n });
      try {
        await expect(
          executePayment(order.key, paymentDeps(env, { status: status.reporter })),
        ).rejects.toMatchObject({ code: 'STELLAR_FEE_ABOVE_CAP', needed: 20_000, cap: 10_000 });
        expect(await intentRow(env, order.key)).toMatchObject({ envelope: null, attempts: 0 });
        expect(submissions()).toBe(before);
        expect(status.stagesOf(order.key)).toEqual([]);
      } finally {
        horizon.setSurge(null);
      }
      expect(await executePayment(order.key, paymentDeps(env))).toMatchObject({ status: 'confirmed' });
      expect(landedFrom(source)).toMatchObject([{ maxFee: 100n, feeCharged: 100n }]);
      expect(balanceOf(recipient)).toBe(parseStellarAmount('15'));
    });

    it('pays it when the configured cap allows', async () => {
      const { order, source } = await payment('1');
      const generous = createStellarNetwork({
        horizonUrl: horizon.url,
        friendbotUrl: undefined,
        passphrase: horizon.passphrase,
        maxFeePerOperation: 50_000,
      });
      horizon.setSurge({ minFeePerOperation: 20_000n });
      try {
        await executePayment(order.key, paymentDeps(env, { stellar: generous }));
      } finally {
        horizon.setSurge(null);
      }
      expect(landedFrom(source)).toMatchObject([{ maxFee: 20_000n, feeCharged: 20_000n }]);
    });

    it('ends like any payment whose attempts ran out with nothing sent', async () => {
      const { order, source } = await payment('1');
      horizon.setSurge({ minFeePerOperation: 20_000n });
      const status = recordingStatus();
      try {
        await expect(executePayment(order.key, paymentDeps(env))).rejects.toMatchObject({
          code: 'STELLAR_FEE_ABOVE_CAP',
        });
        await abandonPayment(order.key, paymentDeps(env, { status: status.reporter }));
      } finally {
        horizon.setSurge(null);
      }
      expect(await intentRow(env, order.key)).toMatchObject({ status: 'FAILED', envelope: null });
      expect(status.updatesOf(order.key)).toEqual([{ stage: 'failed', reason: 'network' }]);
      expect(landedFrom(source)).toHaveLength(0);
    });
  });
});
