/**
 * What the send tests share: a scratch database, the Horizon double and a real anvil node behind
 * the production adapters, a known ERC-20, and users with real wallets (keys the test holds, so it
 * can open trustlines and move funds from outside).
 */
import { randomBytes } from 'node:crypto';
import { Asset, Keypair } from '@stellar/stellar-sdk';
import { Wallet } from 'ethers';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createUserRepository } from '../../core/adapters/user-repository.ts';
import type { UserRepository } from '../../core/ports.ts';
import { createWalletRepository } from '../../core/adapters/wallet-repository.ts';
import { createStellarNetwork } from '../../core/adapters/stellar-horizon.ts';
import { createEvmNetwork, type EvmRpcNetwork } from '../../core/adapters/evm-rpc.ts';
import type { KnownToken } from '../../core/domain/tokens.ts';
import type { StellarNetwork, UserRecord, WalletRecord, WalletRepository } from '../../core/ports.ts';
import { startHorizonDouble, type HorizonDouble } from '../doubles/horizon-double.ts';
import { startAnvil, type AnvilNode } from '../support/anvil.ts';
import { deployTestToken, type TestToken } from '../support/erc20.ts';
import { fundedWallet, rpcCall } from '../support/evm-chain.ts';
import { createTestDatabase, TEST_REDIS_URL } from '../support/database.ts';
import { RedisAdapter } from '@grammyjs/storage-redis';
import { pino } from 'pino';
import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import { createBot } from '../../bot/create-bot.ts';
import type { BotContext, BotDeps, SessionData } from '../../bot/context.ts';
import { connectRedis } from '../../core/adapters/redis.ts';
import { createUpdateLog } from '../../core/adapters/update-log.ts';
import { createPendingActionRepository } from '../../core/adapters/pending-action-repository.ts';
import { createPaymentIntentRepository } from '../../core/adapters/payment-intent-repository.ts';
import { createInvoiceRepository } from '../../core/adapters/invoice-repository.ts';
import { createNotificationOutbox, prismaRunner } from '../../core/adapters/notification-outbox.ts';
import type { JobProducer } from '../../core/ports.ts';
import type { FakeBotApi } from '../doubles/fake-bot-api.ts';

/** A platform user whose wallets' keys the test holds. */
export interface TestUser {
  telegramId: number;
  record: UserRecord;
  stellar: Keypair | null;
  evm: Wallet | null;
  wallets: WalletRecord[];
}

/** Options of {@link SendWorld.createUser}. */
export interface TestUserOptions {
  username?: string;
  language?: string;
  /** Lumens the Stellar account starts with; `null`: no Stellar wallet; `'pending'`: a wallet whose account does not exist. */
  xlm?: string | null | 'pending';
  /** Wei the EVM account starts with; `null`: no EVM wallet. */
  wei?: bigint | null;
}

/** The peers and adapters of one test file. */
export interface SendWorld {
  databaseUrl: string;
  prisma: PrismaClient;
  horizon: HorizonDouble;
  anvil: AnvilNode;
  users: UserRepository;
  wallets: WalletRepository;
  stellar: StellarNetwork;
  evm: EvmRpcNetwork;
  evmChainId: number;
  token: TestToken;
  evmTokens: KnownToken[];
  /** A Stellar issuer and its `USD` asset. */
  usdIssuer: Keypair;
  usd: Asset;
  createUser(options?: TestUserOptions): Promise<TestUser>;
  setEthBalance(address: string, wei: bigint): Promise<void>;
  close(): Promise<void>;
}

let nextTelegramId = 700_000 + Math.floor(Math.random() * 100_000);

/** Starts everything a send test needs; call `close` in `afterAll`. */
export async function startSendWorld(name: string): Promise<SendWorld> {
  const [database, horizon, anvil] = await Promise.all([
    createTestDatabase(name),
    startHorizonDouble(),
    startAnvil(),
  ]);
  const prisma = createPrismaClient(database.url);
  const users = createUserRepository(prisma);
  const wallets = createWalletRepository(prisma);
  const stellar = createStellarNetwork({
    horizonUrl: horizon.url,
    friendbotUrl: horizon.friendbotUrl,
    passphrase: horizon.passphrase,
  });
  const evm = createEvmNetwork({ rpcUrl: anvil.url, chainId: anvil.chainId });
  const deployer = await fundedWallet(anvil.url);
  const token = await deployTestToken(anvil.url, deployer.privateKey, { symbol: 'TUSD', decimals: 6 });
  const usdIssuer = Keypair.random();
  horizon.createAccount(usdIssuer.publicKey(), '100');
  const usd = new Asset('USD', usdIssuer.publicKey());

  const createUser = async (options: TestUserOptions = {}): Promise<TestUser> => {
    const telegramId = nextTelegramId++;
    const record = await users.ensure(BigInt(telegramId), options.language ?? 'en');
    if (options.username) await users.rememberUsername(BigInt(telegramId), options.username, null);
    const stellarKey = options.xlm === null ? null : Keypair.random();
    const evmKey = options.wei === null ? null : new Wallet(Wallet.createRandom().privateKey);
    const stored: WalletRecord[] = [];
    if (stellarKey) {
      const pending = options.xlm === 'pending';
      if (!pending) horizon.createAccount(stellarKey.publicKey(), options.xlm ?? '100');
      stored.push(
        await wallets.insertIfAbsent({
          userId: record.id,
          chain: 'STELLAR',
          address: stellarKey.publicKey(),
          signerKeyId: randomBytes(8).toString('hex'),
          status: pending ? 'PENDING_ACTIVATION' : 'ACTIVE',
        }),
      );
    }
    if (evmKey) {
      await setEthBalance(evmKey.address, options.wei ?? 10n ** 18n);
      stored.push(
        await wallets.insertIfAbsent({
          userId: record.id,
          chain: 'EVM',
          address: evmKey.address,
          signerKeyId: randomBytes(8).toString('hex'),
          status: 'ACTIVE',
        }),
      );
    }
    return { telegramId, record, stellar: stellarKey, evm: evmKey, wallets: stored };
  };
  const setEthBalance = async (address: string, wei: bigint) => {
    await rpcCall(anvil.url, 'anvil_setBalance', [address, `0x${wei.toString(16)}`]);
  };

  return {
    databaseUrl: database.url,
    prisma,
    horizon,
    anvil,
    users,
    wallets,
    stellar,
    evm,
    evmChainId: anvil.chainId,
    token,
    evmTokens: [{ symbol: token.symbol, address: token.address, decimals: token.decimals }],
    usdIssuer,
    usd,
    createUser,
    setEthBalance,
    async close() {
      evm.destroy();
      await prisma.$disconnect();
      await Promise.all([horizon.close(), anvil.stop()]);
      await database.drop();
    },
  };
}

/** A bot built by the production `createBot` on the world's adapters, fed updates by the test. */
export interface SendBot {
  bot: Bot<BotContext>;
  /** Redis key prefix of its sessions; another bot started with it acts as a second instance. */
  sessionPrefix: string;
  deps: BotDeps;
  /** Intent keys passed to `executePayment`, in order. */
  executed: string[];
  /** Handles one update as polling or the webhook would (middleware, sessions, conversations). */
  handle(update: Update): Promise<void>;
  close(): Promise<void>;
}

/**
 * The bot with every feature, sessions (and conversations) in Redis under a fresh prefix, and a
 * job producer that records what it is asked to queue. Two bots made with the same `sessionPrefix`
 * behave as two instances of one deployment.
 */
export async function startSendBot(
  world: SendWorld,
  telegram: FakeBotApi,
  options: { sessionPrefix?: string; confirmTtlSeconds?: number } = {},
): Promise<SendBot> {
  const prefix = options.sessionPrefix ?? `send-test-${randomBytes(4).toString('hex')}:`;
  const redis = await connectRedis(TEST_REDIS_URL, 'sessions', { keyPrefix: prefix });
  const updates = createUpdateLog(world.databaseUrl);
  const executed: string[] = [];
  const jobs: JobProducer = {
    provisionWallets: async () => undefined,
    activateStellarWallet: async () => undefined,
    executePayment: async ({ intentKey }) => void executed.push(intentKey),
    notify: async () => undefined,
  };
  const deps: BotDeps = {
    logger: pino({ level: 'silent' }),
    users: world.users,
    wallets: world.wallets,
    updates,
    jobs,
    stellar: world.stellar,
    evm: world.evm,
    evmChainId: world.evmChainId,
    evmTokens: world.evmTokens,
    pendingActions: createPendingActionRepository(world.prisma),
    paymentIntents: createPaymentIntentRepository(world.prisma),
    confirmTtlSeconds: options.confirmTtlSeconds ?? 300,
    invoices: createInvoiceRepository(world.prisma),
    notificationOutbox: createNotificationOutbox(prismaRunner(world.prisma), pino({ level: 'silent' })),
    invoiceTtlMinutes: 60,
    publicUrl: null,
  };
  const bot = createBot(telegram.token, deps, {
    apiRoot: telegram.url,
    botInfo: telegram.botUser,
    sessionStorage: new RedisAdapter<SessionData>({ instance: redis, ttl: 3600 }),
  });
  return {
    bot,
    sessionPrefix: prefix,
    deps,
    executed,
    handle: (update) => bot.handleUpdate(update),
    async close() {
      const keys = await redis.keys(`${prefix}*`);
      // keys() answers with the prefix included; del() adds it again.
      if (keys.length > 0) await redis.del(...keys.map((key) => key.slice(prefix.length)));
      await Promise.all([updates.close(), redis.quit()]);
    },
  };
}
