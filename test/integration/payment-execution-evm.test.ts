import { Wallet, getAddress } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvmTransactions, IntentProgress } from '../../core/services/payment-execution/ports.ts';
import { executePayment } from '../../core/services/payment-execution.ts';
import type { PaymentOrder } from '../../core/ports.ts';
import { deployTestToken, type TestToken } from '../support/erc20.ts';
import { fundedWallet, rpcCall, sendRaw } from '../support/evm-chain.ts';
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
let url: string;
let chainId: number;

beforeAll(async () => {
  env = await startPaymentTestEnv({ name: 'pay_evm', anvil: true });
  url = env.anvil!.url;
  chainId = env.anvil!.chainId;
});
afterAll(async () => {
  await env?.close();
});

const ETH = 10n ** 18n;
const hex = (value: bigint) => `0x${value.toString(16)}`;
const balanceOf = async (address: string) =>
  BigInt((await rpcCall(url, 'eth_getBalance', [address, 'latest'])) as string);
const nonceOf = async (address: string) =>
  Number(BigInt((await rpcCall(url, 'eth_getTransactionCount', [address, 'latest'])) as string));
const setAutomine = (on: boolean) => rpcCall(url, 'evm_setAutomine', [on]);

/** A payer holding 10 ETH and an order of `wei` to a fresh address. */
async function payment(wei = ETH / 100n, extra: Partial<PaymentOrder> = {}) {
  const payer = await newPayer(env, { wei: 10n * ETH });
  const recipient = getAddress(Wallet.createRandom().address);
  const order = await recordOrder(env, {
    userId: payer.userId,
    walletId: payer.evm.id,
    asset: { chain: 'EVM', chainId, code: 'ETH', issuer: null },
    amountBase: wei,
    destination: recipient,
    ...extra,
  });
  return { payer, recipient, order, source: payer.evm.address };
}

describe('executing an EVM payment', () => {
  it('sends the value once at the account’s next nonce and moves the status message through every stage', async () => {
    const { order, recipient, source } = await payment(ETH / 10n);
    const status = recordingStatus();
    const outcome = await executePayment(order.key, paymentDeps(env, { status: status.reporter }));
    const row = await intentRow(env, order.key);
    expect(outcome).toEqual({ status: 'confirmed', txHash: row.txHash });
    expect(row).toMatchObject({ status: 'CONFIRMED', evmNonce: 0n });
    expect(await balanceOf(recipient)).toBe(ETH / 10n);
    expect(await nonceOf(source)).toBe(1);
    expect(status.stagesOf(order.key)).toEqual(['signing', 'submitted', 'confirmed']);

    await executePayment(order.key, paymentDeps(env));
    expect(await nonceOf(source)).toBe(1);
  });

  it('refuses before signing when the balance cannot cover value and gas', async () => {
    const { order, source } = await payment(10n * ETH);
    await expect(executePayment(order.key, paymentDeps(env))).rejects.toMatchObject({
      code: 'PAYMENT_FAILED',
      reason: 'insufficient-funds',
    });
    expect((await intentRow(env, order.key)).envelope).toBeNull();
    expect(await nonceOf(source)).toBe(0);
  });
});

describe('paying an ERC-20 token', () => {
  let token: TestToken;
  beforeAll(async () => {
    const deployer = await fundedWallet(url);
    token = await deployTestToken(url, deployer.privateKey, { symbol: 'USDT', decimals: 6 });
  });

  it('transfers the tokens with a transfer call to the token contract', async () => {
    const { order, recipient, payer } = await payment(250_000_000n, {});
    const tokenOrder = await recordOrder(env, {
      ...order,
      key: `${order.key}t`,
      asset: { chain: 'EVM', chainId, code: 'USDT', issuer: token.address },
    });
    await token.mint(payer.evm.address, 1_000_000_000n);
    expect(await executePayment(tokenOrder.key, paymentDeps(env))).toMatchObject({ status: 'confirmed' });
    expect(await token.balanceOf(recipient)).toBe(250_000_000n);
    expect(await token.balanceOf(payer.evm.address)).toBe(750_000_000n);
  });

  it('refuses before signing when the token balance is short', async () => {
    const { order, payer } = await payment(5n, {});
    const tokenOrder = await recordOrder(env, {
      ...order,
      key: `${order.key}t`,
      asset: { chain: 'EVM', chainId, code: 'USDT', issuer: token.address },
    });
    await expect(executePayment(tokenOrder.key, paymentDeps(env))).rejects.toMatchObject({
      reason: 'insufficient-funds',
    });
    expect(await nonceOf(payer.evm.address)).toBe(0);
  });
});

describe('when the worker dies after signing but before recording', () => {
  it('signs again with the same nonce on restart, so only one transaction can ever be mined', async () => {
    const { order, recipient, source } = await payment(ETH / 5n);
    let lost: string | undefined;
    const base = paymentDeps(env);
    // Another fee than the restart will see, so the lost transaction differs from the rebuilt one.
    const pricier = {
      ...base.evm,
      feeData: async () => ({ ...(await base.evm.feeData()), maxFeePerGas: 4_000_000_000n }),
    };
    const crashing: IntentProgress = {
      ...base.intents,
      recordSigned: async (_key, input) => {
        lost = input.envelope;
        throw new Error('worker killed');
      },
    };
    await expect(executePayment(order.key, { ...base, evm: pricier, intents: crashing })).rejects.toThrow(
      'worker killed',
    );
    expect(await nonceOf(source)).toBe(0);

    await executePayment(order.key, paymentDeps(env));
    const row = await intentRow(env, order.key);
    expect(row.envelope).not.toBe(lost);
    expect(row.evmNonce).toBe(0n);
    await expect(sendRaw(url, lost!)).rejects.toThrow(/nonce too low/);
    expect(await nonceOf(source)).toBe(1);
    expect(await balanceOf(recipient)).toBe(ETH / 5n);
  });
});

describe('when the worker dies after broadcasting but before recording', () => {
  it('finds the receipt on restart and charges once', async () => {
    const { order, recipient, source } = await payment(ETH / 4n);
    const base = paymentDeps(env);
    const crashing: EvmTransactions = {
      ...base.evmTransactions,
      broadcast: async (raw) => {
        await base.evmTransactions.broadcast(raw);
        throw new Error('worker killed');
      },
    };
    await expect(executePayment(order.key, { ...base, evmTransactions: crashing })).rejects.toThrow(
      'worker killed',
    );
    expect((await intentRow(env, order.key)).status).toBe('SUBMITTED');

    expect(await executePayment(order.key, paymentDeps(env))).toMatchObject({ status: 'confirmed' });
    expect(await nonceOf(source)).toBe(1);
    expect(await balanceOf(recipient)).toBe(ETH / 4n);
  });
});

describe('when the transaction is not mined in time', () => {
  const impatient = () =>
    paymentDeps(env, { settings: { ...paymentDeps(env).settings, evmReceiptTimeoutMs: 150 } });

  it('rebuilds once another transaction took the nonce, and pays once', async () => {
    const { order, recipient, source } = await payment(ETH / 3n);
    await setAutomine(false);
    try {
      await expect(executePayment(order.key, impatient())).rejects.toMatchObject({ code: 'EVM_TX_PENDING' });
      const replaced = (await intentRow(env, order.key)).txHash;
      // The account's key replaces it (same nonce, higher fee) with a transfer to itself.
      await rpcCall(url, 'anvil_impersonateAccount', [source]);
      await rpcCall(url, 'eth_sendTransaction', [
        {
          from: source,
          to: source,
          value: '0x0',
          nonce: '0x0',
          gas: hex(21_000n),
          maxFeePerGas: hex(20_000_000_000n),
          maxPriorityFeePerGas: hex(10_000_000_000n),
        },
      ]);
      await rpcCall(url, 'anvil_stopImpersonatingAccount', [source]);
      await rpcCall(url, 'anvil_mine', []);
      expect(await rpcCall(url, 'eth_getTransactionReceipt', [replaced])).toBeNull();
    } finally {
      await setAutomine(true);
    }

    expect(await executePayment(order.key, paymentDeps(env))).toMatchObject({ status: 'confirmed' });
    const row = await intentRow(env, order.key);
    expect(row).toMatchObject({ evmNonce: 1n, attempts: 2 });
    expect(await nonceOf(source)).toBe(2);
    expect(await balanceOf(recipient)).toBe(ETH / 3n);
  });

  it('broadcasts the identical transaction again when the node dropped it', async () => {
    const { order, recipient, source } = await payment(ETH / 2n);
    await setAutomine(false);
    let first: string | null;
    try {
      await expect(executePayment(order.key, impatient())).rejects.toMatchObject({ code: 'EVM_TX_PENDING' });
      first = (await intentRow(env, order.key)).txHash;
      await rpcCall(url, 'anvil_dropTransaction', [first]);
    } finally {
      await setAutomine(true);
    }
    expect(await executePayment(order.key, paymentDeps(env))).toEqual({
      status: 'confirmed',
      txHash: first!,
    });
    expect(await nonceOf(source)).toBe(1);
    expect(await balanceOf(recipient)).toBe(ETH / 2n);
  });
});
