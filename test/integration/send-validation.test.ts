import { Account, Asset, Keypair, MuxedAccount } from '@stellar/stellar-sdk';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PaymentAsset } from '../../core/ports.ts';
import {
  EVM_NATIVE_TRANSFER_GAS,
  EVM_TOKEN_TRANSFER_GAS,
  listSendableAssets,
  validateSend,
  type SendRequest,
  type SendValidationDeps,
} from '../../core/services/send-validation.ts';
import { startSendWorld, type SendWorld, type TestUser } from './send-harness.ts';

let world: SendWorld;
let deps: SendValidationDeps;
let sender: TestUser;
let alice: TestUser;
let XLM: PaymentAsset;
let USD: PaymentAsset;
let ETH: PaymentAsset;
let TUSD: PaymentAsset;

const XLM_UNIT = 10_000_000n;

beforeAll(async () => {
  world = await startSendWorld('sendval');
  deps = world;
  XLM = { chain: 'STELLAR', code: 'XLM', issuer: null };
  USD = { chain: 'STELLAR', code: 'USD', issuer: world.usdIssuer.publicKey() };
  ETH = { chain: 'EVM', chainId: world.evmChainId, code: 'ETH', issuer: null };
  TUSD = { chain: 'EVM', chainId: world.evmChainId, code: 'TUSD', issuer: world.token.address };

  sender = await world.createUser({ username: 'sender_one', xlm: '100' });
  world.horizon.issue({ issuer: world.usdIssuer, to: sender.stellar!, code: 'USD', amount: '50' });
  await world.token.mint(sender.evm!.address, 100_000_000n);
  alice = await world.createUser({ username: 'Alice_W', xlm: '10' });
  world.horizon.trust({ account: alice.stellar!, asset: world.usd });
});
afterAll(async () => {
  await world?.close();
});

const request = (overrides: Partial<SendRequest>): SendRequest => ({
  userId: sender.record.id,
  wallets: sender.wallets,
  asset: XLM,
  amount: '1',
  destination: alice.stellar!.publicKey(),
  memo: null,
  ...overrides,
});

async function refusalOf(overrides: Partial<SendRequest>) {
  const result = await validateSend(request(overrides), deps);
  if (result.ok) throw new Error('expected a refusal, got a draft');
  return result.refusal;
}

async function draftOf(overrides: Partial<SendRequest>) {
  const result = await validateSend(request(overrides), deps);
  if (!result.ok) throw new Error(`expected a draft, got ${result.refusal.code}`);
  return result.draft;
}

describe('listing what a user can send', () => {
  it('offers XLM and every trustline, the EVM coin and every known token, with balances', async () => {
    const assets = await listSendableAssets(sender.wallets, deps);
    expect(assets).toEqual([
      { asset: XLM, decimals: 7, balance: expect.any(BigInt) as bigint },
      { asset: USD, decimals: 7, balance: 50n * XLM_UNIT },
      { asset: ETH, decimals: 18, balance: 10n ** 18n },
      { asset: TUSD, decimals: 6, balance: 100_000_000n },
    ]);
    expect(assets[0]!.balance).toBeLessThan(100n * XLM_UNIT);
  });

  it('offers nothing on Stellar while the account is not active', async () => {
    const pending = await world.createUser({ xlm: 'pending', wei: null });
    expect(await listSendableAssets(pending.wallets, deps)).toEqual([]);
  });
});

describe('sending on Stellar', () => {
  it('drafts an XLM payment to an address, with the network fee', async () => {
    const draft = await draftOf({ amount: '12.5' });
    expect(draft).toMatchObject({
      userId: sender.record.id,
      sourceAddress: sender.stellar!.publicKey(),
      asset: XLM,
      decimals: 7,
      amountBase: 125_000_000n,
      destination: alice.stellar!.publicKey(),
      recipientUserId: null,
      recipientUsername: null,
      memo: null,
      invoiceId: null,
      fee: { amountBase: world.horizon.baseFee, code: 'XLM', decimals: 7 },
    });
  });

  describe('under surge pricing', () => {
    it('keeps back the fee a payment would be built with now, from fee_stats', async () => {
      world.horizon.setSurge({ minFeePerOperation: 1_000n, feeCharged: { p90: 2_500n } });
      try {
        expect((await deps.stellar.feePerOperation()).needed).toBe(2_500);
        expect((await draftOf({ amount: '1' })).fee).toEqual({
          amountBase: 2_500n,
          code: 'XLM',
          decimals: 7,
        });
        const account = world.horizon.account(sender.stellar!.publicKey())!;
        const spendable = account.balance - 3n * world.horizon.baseReserve;
        expect(await refusalOf({ amount: '99' })).toMatchObject({
          code: 'insufficient-balance',
          available: spendable - 2_500n,
        });
      } finally {
        world.horizon.setSurge(null);
      }
    });

    it('keeps back no more than the cap, since above it the payment waits', async () => {
      world.horizon.setSurge({ minFeePerOperation: 50_000n });
      try {
        expect((await draftOf({ amount: '1' })).fee.amountBase).toBe(10_000n);
      } finally {
        world.horizon.setSurge(null);
      }
    });
  });

  it('resolves a @username, in any case, to that user’s wallet on the asset’s chain', async () => {
    const draft = await draftOf({ destination: '@alice_w', amount: '2' });
    expect(draft.destination).toBe(alice.stellar!.publicKey());
    expect(draft.recipientUserId).toBe(alice.record.id);
    expect(draft.recipientUsername).toBe('alice_w');
  });

  it('keeps the minimum reserve and the fee out of what can be sent', async () => {
    // 100 XLM minus the fee of the trustline's transaction; one trustline: minimum 1.5 XLM.
    const account = world.horizon.account(sender.stellar!.publicKey())!;
    const spendable = account.balance - 3n * world.horizon.baseReserve - world.horizon.baseFee;
    expect(await refusalOf({ amount: '99' })).toEqual({
      code: 'insufficient-balance',
      available: spendable,
      requested: 99n * XLM_UNIT,
      decimals: 7,
      assetCode: 'XLM',
    });
    const exact =
      (spendable / XLM_UNIT).toString() + '.' + (spendable % XLM_UNIT).toString().padStart(7, '0');
    expect((await draftOf({ amount: exact })).amountBase).toBe(spendable);
  });

  it('refuses XLM to an account that does not exist instead of creating it', async () => {
    expect(await refusalOf({ destination: Keypair.random().publicKey() })).toEqual({
      code: 'destination-missing',
    });
  });

  it('refuses an asset the destination has no trustline for', async () => {
    const bob = await world.createUser({ xlm: '5' });
    expect(await refusalOf({ asset: USD, destination: bob.stellar!.publicKey() })).toEqual({
      code: 'destination-no-trustline',
      assetCode: 'USD',
    });
  });

  it('sends a credit asset from the trustline balance, and no more than it holds', async () => {
    expect((await draftOf({ asset: USD, amount: '50' })).amountBase).toBe(50n * XLM_UNIT);
    expect(await refusalOf({ asset: USD, amount: '50.0000001' })).toMatchObject({
      code: 'insufficient-balance',
      available: 50n * XLM_UNIT,
      assetCode: 'USD',
    });
  });

  it('refuses a credit asset when no XLM is left above the reserve for the fee', async () => {
    const tight = await world.createUser({ xlm: '1.50001', wei: null });
    world.horizon.trust({ account: tight.stellar!, asset: world.usd });
    world.horizon.issue({
      issuer: world.usdIssuer,
      to: tight.stellar!.publicKey(),
      code: 'USD',
      amount: '5',
    });
    const refusal = await validateSend(
      { ...request({ asset: USD }), userId: tight.record.id, wallets: tight.wallets },
      deps,
    );
    expect(refusal).toEqual({
      ok: false,
      refusal: {
        code: 'insufficient-fee-balance',
        available: 0n,
        required: world.horizon.baseFee,
        decimals: 7,
        assetCode: 'XLM',
      },
    });
  });

  it('refuses more than the destination’s trustline limit can take', async () => {
    const carol = await world.createUser({ xlm: '5' });
    world.horizon.trust({ account: carol.stellar!, asset: world.usd, limit: '10' });
    expect(await refusalOf({ asset: USD, amount: '11', destination: carol.stellar!.publicKey() })).toEqual({
      code: 'destination-line-full',
      assetCode: 'USD',
    });
  });

  describe('when the destination requires a memo (SEP-29)', () => {
    let exchange: Keypair;
    beforeAll(() => {
      exchange = Keypair.random();
      world.horizon.createAccount(exchange.publicKey(), '5');
      world.horizon.setAccountData(exchange.publicKey(), 'config.memo_required', '1');
    });

    it('refuses a payment without one', async () => {
      expect(await refusalOf({ destination: exchange.publicKey() })).toEqual({ code: 'memo-required' });
    });

    it('accepts a memo ID or a text memo', async () => {
      expect((await draftOf({ destination: exchange.publicKey(), memo: '123456789' })).memo).toEqual({
        type: 'id',
        value: '123456789',
      });
      expect((await draftOf({ destination: exchange.publicKey(), memo: 'deposit 7' })).memo).toEqual({
        type: 'text',
        value: 'deposit 7',
      });
    });

    it('accepts a muxed address of it without a memo, keeping the muxed address', async () => {
      const muxed = new MuxedAccount(new Account(exchange.publicKey(), '0'), '42').accountId();
      expect((await draftOf({ destination: muxed })).destination).toBe(muxed);
    });
  });

  it('refuses a text memo longer than 28 bytes', async () => {
    expect(await refusalOf({ memo: 'x'.repeat(29) })).toEqual({ code: 'memo-too-long', maxBytes: 28 });
  });

  it('refuses paying oneself, by address, by muxed address or by @username', async () => {
    const own = sender.stellar!.publicKey();
    const ownMuxed = new MuxedAccount(new Account(own, '0'), '7').accountId();
    expect(await refusalOf({ destination: own })).toEqual({ code: 'self-payment' });
    expect(await refusalOf({ destination: ownMuxed })).toEqual({ code: 'self-payment' });
    expect(await refusalOf({ destination: '@Sender_One' })).toEqual({ code: 'self-payment' });
  });

  it('refuses unknown users, other chains’ addresses, bad addresses and bad amounts', async () => {
    expect(await refusalOf({ destination: '@nobody_here' })).toEqual({
      code: 'unknown-user',
      username: 'nobody_here',
    });
    expect(await refusalOf({ destination: alice.evm!.address })).toEqual({
      code: 'wrong-chain',
      assetChain: 'STELLAR',
    });
    expect(await refusalOf({ destination: 'GABC' })).toEqual({
      code: 'destination-invalid',
      reason: 'unrecognized',
    });
    expect(await refusalOf({ amount: '0' })).toEqual({ code: 'amount-invalid', reason: 'zero', decimals: 7 });
    expect(await refusalOf({ amount: '1.00000001' })).toEqual({
      code: 'amount-invalid',
      reason: 'too_many_decimals',
      decimals: 7,
    });
  });

  it('refuses sending from a Stellar wallet that is not active yet', async () => {
    const pending = await world.createUser({ xlm: 'pending', wei: null });
    expect(
      await validateSend({ ...request({}), userId: pending.record.id, wallets: pending.wallets }, deps),
    ).toEqual({ ok: false, refusal: { code: 'source-not-ready', chain: 'STELLAR' } });
  });
});

describe('sending on the EVM chain', () => {
  let gasPrice: bigint;
  beforeAll(async () => {
    gasPrice = (await world.evm.feeData()).maxFeePerGas;
  });

  it('drafts a native payment with the gas bound as fee, to a checksummed address', async () => {
    const to = Wallet.createRandom().address;
    const draft = await draftOf({ asset: ETH, amount: '0.25', destination: to.toLowerCase() });
    expect(draft).toMatchObject({
      asset: ETH,
      decimals: 18,
      amountBase: 250_000_000_000_000_000n,
      destination: to,
      memo: null,
      sourceAddress: sender.evm!.address,
    });
    expect(draft.fee.code).toBe('ETH');
    expect(draft.fee.amountBase).toBeGreaterThanOrEqual(EVM_NATIVE_TRANSFER_GAS * gasPrice);
  });

  it('keeps the gas out of what can be sent', async () => {
    const refusal = await refusalOf({ asset: ETH, amount: '1', destination: alice.evm!.address });
    expect(refusal).toMatchObject({ code: 'insufficient-balance', requested: 10n ** 18n, assetCode: 'ETH' });
    if (refusal.code !== 'insufficient-balance') throw new Error('unreachable');
    expect(refusal.available).toBeLessThan(10n ** 18n);
    expect(refusal.available).toBeGreaterThan(10n ** 18n - 2n * EVM_NATIVE_TRANSFER_GAS * gasPrice);
  });

  it('sends a known token from its balance, to a @username’s EVM wallet', async () => {
    const draft = await draftOf({ asset: TUSD, amount: '100', destination: '@alice_w' });
    expect(draft).toMatchObject({
      asset: TUSD,
      decimals: 6,
      amountBase: 100_000_000n,
      destination: alice.evm!.address,
      recipientUserId: alice.record.id,
    });
    expect(draft.fee.amountBase).toBeGreaterThanOrEqual(EVM_TOKEN_TRANSFER_GAS * gasPrice);
    expect(await refusalOf({ asset: TUSD, amount: '100.000001', destination: '@alice_w' })).toMatchObject({
      code: 'insufficient-balance',
      available: 100_000_000n,
      decimals: 6,
      assetCode: 'TUSD',
    });
  });

  it('refuses a token payment when no coin is left for gas', async () => {
    const broke = await world.createUser({ xlm: null, wei: 0n });
    await world.token.mint(broke.evm!.address, 5_000_000n);
    const result = await validateSend(
      {
        ...request({ asset: TUSD, amount: '5', destination: alice.evm!.address }),
        userId: broke.record.id,
        wallets: broke.wallets,
      },
      deps,
    );
    expect(result).toMatchObject({
      ok: false,
      refusal: { code: 'insufficient-fee-balance', available: 0n, decimals: 18, assetCode: 'ETH' },
    });
  });

  it('refuses a memo, an unknown token, another chain, a Stellar address and a user without an EVM wallet', async () => {
    const to = alice.evm!.address;
    expect(await refusalOf({ asset: ETH, destination: to, memo: 'hi' })).toEqual({
      code: 'memo-not-supported',
    });
    const lookAlike = { ...TUSD, issuer: Wallet.createRandom().address };
    expect(await refusalOf({ asset: lookAlike, destination: to })).toEqual({ code: 'asset-unknown' });
    const otherChain: PaymentAsset = { chain: 'EVM', chainId: 1, code: 'ETH', issuer: null };
    expect(await refusalOf({ asset: otherChain, destination: to })).toEqual({ code: 'asset-unknown' });
    expect(await refusalOf({ asset: ETH, destination: alice.stellar!.publicKey() })).toEqual({
      code: 'wrong-chain',
      assetChain: 'EVM',
    });
    await world.createUser({ username: 'stellar_only', xlm: '5', wei: null });
    expect(await refusalOf({ asset: ETH, destination: '@stellar_only' })).toEqual({
      code: 'recipient-no-wallet',
      username: 'stellar_only',
      chain: 'EVM',
    });
  });

  it('refuses a mistyped checksum and the zero address', async () => {
    expect(await refusalOf({ asset: ETH, destination: `0x${'0'.repeat(40)}` })).toEqual({
      code: 'destination-invalid',
      reason: 'evm-zero',
    });
    const address = alice.evm!.address;
    const index = [...address].findIndex((c, i) => i > 1 && /[a-f]/.test(c));
    const broken = `${address.slice(0, index)}${address[index]!.toUpperCase()}${address.slice(index + 1)}`;
    expect(await refusalOf({ asset: ETH, destination: broken })).toEqual({
      code: 'destination-invalid',
      reason: 'evm-checksum',
    });
  });
});

describe('an asset unknown to Stellar', () => {
  it('is refused when the sender holds no trustline for it', async () => {
    const stray = new Asset('EUR', Keypair.random().publicKey());
    expect(
      await refusalOf({ asset: { chain: 'STELLAR', code: stray.getCode(), issuer: stray.getIssuer() } }),
    ).toEqual({ code: 'asset-unknown' });
  });
});
