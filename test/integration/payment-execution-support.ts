/**
 * What the payment-execution integration tests share: a scratch database, the real signer, the
 * Horizon double and/or anvil, payers with funded wallets, recorded orders, and the service's
 * dependencies built from the real adapters (each call builds its own, as a worker process would).
 */
import { randomBytes } from 'node:crypto';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createUserRepository } from '../../core/adapters/user-repository.ts';
import { createWalletRepository } from '../../core/adapters/wallet-repository.ts';
import { createIntentRepository } from '../../core/adapters/intent-repository.ts';
import { createPaymentIntentRepository } from '../../core/adapters/payment-intent-repository.ts';
import { createInvoiceRepository } from '../../core/adapters/invoice-repository.ts';
import { createSourceAccountLock } from '../../core/adapters/source-account-lock.ts';
import {
  createStellarNetwork,
  createStellarTransactionFactory,
} from '../../core/adapters/stellar-horizon.ts';
import { createStellarPaymentFactory } from '../../core/adapters/stellar-payment-builder.ts';
import { createEvmNetwork } from '../../core/adapters/evm-rpc.ts';
import { createEvmTransactions } from '../../core/adapters/evm-transactions.ts';
import { paymentIntentKey } from '../../core/domain/intent-keys.ts';
import type { KeyService, PaymentOrder, WalletRecord } from '../../core/ports.ts';
import type { PaymentStatusUpdate } from '../../core/services/payment-execution/ports.ts';
import type { PaymentExecutionDeps } from '../../core/services/payment-execution.ts';
import { provisionWallets } from '../../core/services/wallet-provisioning.ts';
import type { RunningSigner } from '../../signer/server.ts';
import { startHorizonDouble, type HorizonDouble } from '../doubles/horizon-double.ts';
import { startAnvil, type AnvilNode } from '../support/anvil.ts';
import { rpcCall } from '../support/evm-chain.ts';
import { createTestDatabase } from '../support/database.ts';
import { startTestSigner } from '../support/test-signer.ts';

/** The peers one test file runs against. */
export interface PaymentTestEnv {
  databaseUrl: string;
  prisma: PrismaClient;
  signer: RunningSigner;
  authSecret: string;
  keys: KeyService;
  horizon: HorizonDouble | undefined;
  anvil: AnvilNode | undefined;
  close(): Promise<void>;
}

/** Starts a scratch database, the signer and the chains asked for. */
export async function startPaymentTestEnv(options: {
  name: string;
  horizon?: boolean;
  anvil?: boolean;
  /** SIGNER_DAILY_LIMITS. */
  dailyLimits?: string;
}): Promise<PaymentTestEnv> {
  const database = await createTestDatabase(options.name);
  const prisma = createPrismaClient(database.url);
  const [horizon, anvil] = await Promise.all([
    options.horizon ? startHorizonDouble() : undefined,
    options.anvil ? startAnvil() : undefined,
  ]);
  const { signer, authSecret, keys } = await startTestSigner({
    databaseUrl: database.url,
    passphrase: horizon?.passphrase ?? 'Standalone Network ; February 2017',
    evmChainId: anvil?.chainId,
    dailyLimits: options.dailyLimits,
  });
  return {
    databaseUrl: database.url,
    prisma,
    signer,
    authSecret,
    keys,
    horizon,
    anvil,
    async close() {
      await signer.close();
      await Promise.all([horizon?.close(), anvil?.stop()]);
      await prisma.$disconnect();
      await database.drop();
    },
  };
}

/** A status reporter that remembers every update, per intent key. */
export function recordingStatus() {
  const updates: { key: string; update: PaymentStatusUpdate }[] = [];
  return {
    reporter: {
      reportPayment: async (order: PaymentOrder, update: PaymentStatusUpdate) =>
        void updates.push({ key: order.key, update }),
    },
    stagesOf: (key: string) =>
      updates.filter((entry) => entry.key === key).map((entry) => entry.update.stage),
    updatesOf: (key: string) => updates.filter((entry) => entry.key === key).map((entry) => entry.update),
  };
}

/** Settings the tests run with: short receipt waits, a block is confirmation enough. */
export const TEST_SETTINGS = {
  stellarTimeoutSeconds: 60,
  evmConfirmations: 1,
  evmPollIntervalMs: 20,
  evmReceiptTimeoutMs: 2_000,
};

/**
 * The service's dependencies on the real adapters. `prisma` defaults to the env's client; pass
 * another to act as a separate worker process (its own pool, its own lock sessions).
 */
export function paymentDeps(
  env: PaymentTestEnv,
  overrides: Partial<PaymentExecutionDeps> & { prisma?: PrismaClient; clock?: () => number } = {},
): PaymentExecutionDeps {
  const { prisma = env.prisma, clock, ...rest } = overrides;
  const passphrase = env.horizon?.passphrase ?? 'Standalone Network ; February 2017';
  const chainId = env.anvil?.chainId ?? 31337;
  const rpcUrl = env.anvil?.url ?? 'http://127.0.0.1:9';
  return {
    paymentIntents: createPaymentIntentRepository(prisma),
    intents: createIntentRepository(prisma),
    wallets: createWalletRepository(prisma),
    invoices: createInvoiceRepository(prisma),
    keys: env.keys,
    sourceLock: createSourceAccountLock(prisma),
    status: recordingStatus().reporter,
    stellar: createStellarNetwork({
      horizonUrl: env.horizon?.url ?? 'http://127.0.0.1:9',
      friendbotUrl: undefined,
      passphrase,
      timeoutMs: 2_000,
    }),
    transactions: createStellarTransactionFactory(passphrase),
    stellarPayments: createStellarPaymentFactory(passphrase, clock),
    evm: createEvmNetwork({ rpcUrl, chainId }),
    evmTransactions: createEvmTransactions({ rpcUrl, chainId }),
    settings: { ...TEST_SETTINGS, networkPassphrase: passphrase, evmChainId: chainId },
    now: clock,
    ...rest,
  };
}

let telegramIds = 7_000_000n;

/**
 * A user speaking `language` with both wallets; the Stellar one exists on the double with `xlm`
 * and is active, the EVM one holds `wei`.
 */
export async function newPayer(
  env: PaymentTestEnv,
  funds: { xlm?: string; wei?: bigint } = {},
  language = 'en',
): Promise<{ userId: bigint; telegramId: bigint; stellar: WalletRecord; evm: WalletRecord }> {
  const user = await createUserRepository(env.prisma).ensure(++telegramIds, language);
  const wallets = createWalletRepository(env.prisma);
  const provisioned = await provisionWallets(user.id, { wallets, keys: env.keys });
  const stellar = provisioned.find((wallet) => wallet.chain === 'STELLAR')!;
  const evm = provisioned.find((wallet) => wallet.chain === 'EVM')!;
  if (env.horizon && funds.xlm) {
    env.horizon.createAccount(stellar.address, funds.xlm);
    await wallets.setStatus(stellar.id, 'ACTIVE');
  }
  if (env.anvil && funds.wei !== undefined)
    await rpcCall(env.anvil.url, 'anvil_setBalance', [evm.address, `0x${funds.wei.toString(16)}`]);
  return { userId: user.id, telegramId: user.telegramId, stellar: { ...stellar, status: 'ACTIVE' }, evm };
}

/** Records a confirmed order as the bot's Confirm handler would, and returns it. */
export async function recordOrder(
  env: PaymentTestEnv,
  order: Omit<
    PaymentOrder,
    'key' | 'statusChatId' | 'statusMessageId' | 'recipientUserId' | 'memo' | 'invoiceId'
  > &
    Partial<PaymentOrder>,
): Promise<PaymentOrder> {
  const full: PaymentOrder = {
    key: paymentIntentKey(randomBytes(16).toString('base64url')),
    recipientUserId: null,
    memo: null,
    invoiceId: null,
    statusChatId: 1n,
    statusMessageId: 1,
    ...order,
  };
  await createPaymentIntentRepository(env.prisma).create(full);
  return full;
}

/** Reads an intent row as the tests check it. */
export function intentRow(env: PaymentTestEnv, key: string) {
  return env.prisma.chainIntent.findUniqueOrThrow({ where: { key } });
}
