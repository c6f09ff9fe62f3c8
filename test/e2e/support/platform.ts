import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import pg from 'pg';
import { loadBotConfig, loadSignerConfig, loadWorkerConfig } from '../../../core/config.ts';
import { createLogger } from '../../../core/logger.ts';
import type { ProcessDefinition } from '../../../core/process-entry.ts';
import { botProcess, startBotProcess, type RunningBot } from '../../../bot/main.ts';
import { startWorkerProcess, workerProcess, type RunningWorker } from '../../../jobs/main.ts';
import { startSigner, type RunningSigner } from '../../../signer/server.ts';
import { signerProcess } from '../../../signer/main.ts';
import { startFakeBotApi, type FakeBotApi } from '../../doubles/fake-bot-api.ts';
import { startHorizonDouble } from '../../doubles/horizon-double.ts';
import { startAnvil } from '../../support/anvil.ts';
import { createTestDatabase, TEST_REDIS_URL } from '../../support/database.ts';

type HorizonDouble = Awaited<ReturnType<typeof startHorizonDouble>>;
type Anvil = Awaited<ReturnType<typeof startAnvil>>;

/** How to start the platform for one test file. */
export interface PlatformOptions {
  mode?: 'polling' | 'webhook';
  /** Fund new Stellar accounts through the Horizon double's friendbot (default) or the treasury. */
  friendbot?: boolean;
  /**
   * Extra settings for every process; a function runs once the chain peers are up, so it can deploy
   * contracts first and name them (e.g. `EVM_TOKENS`).
   */
  env?:
    | Record<string, string>
    | ((peers: { anvil: Anvil; horizon: HorizonDouble }) => Promise<Record<string, string>>);
}

/** The three processes and their peers, with every log line they wrote. */
export interface Platform {
  telegram: FakeBotApi;
  horizon: HorizonDouble;
  anvil: Anvil;
  databaseUrl: string;
  signerUrl: string;
  botPort: number;
  /** The BullMQ key prefix of this run's queues. */
  queuePrefix: string;
  /** Where the bot's HTTP server is reached (PUBLIC_URL): invoice pages live there. */
  publicUrl: string;
  webhookPath: string;
  /** Secrets generated for this run; none may ever appear in a log line. */
  secrets: Record<string, string>;
  logLines: string[];
  query<T extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts signer, worker and bot through the same functions their `main.ts` files call, against the
 * fake Bot API, the Horizon double, a real anvil node, a fresh database and a fresh Redis prefix.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const mode = options.mode ?? 'polling';
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const [telegram, horizon, anvil, database] = await Promise.all([
    startFakeBotApi(),
    startHorizonDouble(),
    startAnvil(),
    createTestDatabase('e2e'),
  ]);
  const secrets = {
    BOT_TOKEN: telegram.token,
    SIGNER_AUTH_SECRET: randomBytes(32).toString('base64url'),
    SIGNER_MASTER_KEY: randomBytes(32).toString('base64'),
    WEBHOOK_SECRET: randomBytes(24).toString('base64url'),
  };
  const prefix = `e2e-${randomBytes(4).toString('hex')}`;
  const common = {
    BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.url,
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    STELLAR_NETWORK: 'custom',
    STELLAR_HORIZON_URL: horizon.url,
    STELLAR_NETWORK_PASSPHRASE: horizon.passphrase,
    ...(options.friendbot === false ? {} : { STELLAR_FRIENDBOT_URL: horizon.friendbotUrl }),
    EVM_RPC_URL: anvil.url,
    EVM_CHAIN_ID: String(anvil.chainId),
    // anvil mines a block per transaction and no other: with confirmations required, a payment
    // would wait for blocks that never come. Reorgs and confirmations are tested on their own.
    EVM_CONFIRMATIONS: '0',
    EVM_POLL_INTERVAL_MS: '100',
    LOG_LEVEL: 'debug',
    ...(typeof options.env === 'function' ? await options.env({ anvil, horizon }) : options.env),
  };

  // Each logger masks exactly what that process's main.ts masks, so a leak there shows up here.
  const loggerFor = <C extends { LOG_LEVEL: string }>(definition: ProcessDefinition<C>, config: C) =>
    createLogger({
      name: definition.name,
      level: config.LOG_LEVEL,
      secrets: definition.secrets(config),
      destination,
    });

  const signerConfig = loadSignerConfig({
    ...common,
    SIGNER_URL: 'http://127.0.0.1:0',
    SIGNER_AUTH_SECRET: secrets.SIGNER_AUTH_SECRET,
    SIGNER_MASTER_KEY: secrets.SIGNER_MASTER_KEY,
    SIGNER_DATABASE_URL: database.url,
  });
  const signer: RunningSigner = await startSigner(signerConfig, loggerFor(signerProcess, signerConfig));

  const workerConfig = loadWorkerConfig({
    ...common,
    SIGNER_URL: signer.url,
    SIGNER_AUTH_SECRET: secrets.SIGNER_AUTH_SECRET,
  });
  const worker: RunningWorker = await startWorkerProcess(
    workerConfig,
    loggerFor(workerProcess, workerConfig),
    {
      queuePrefix: prefix,
    },
  );

  const botPort = await freePort();
  const webhookPath = '/telegram/webhook';
  const botConfig = loadBotConfig({
    ...common,
    PORT: String(botPort),
    BOT_MODE: mode,
    PUBLIC_URL: `http://127.0.0.1:${botPort}`,
    ...(mode === 'webhook'
      ? { WEBHOOK_URL: `http://127.0.0.1:${botPort}${webhookPath}`, WEBHOOK_SECRET: secrets.WEBHOOK_SECRET }
      : {}),
  });
  const bot: RunningBot = await startBotProcess(botConfig, loggerFor(botProcess, botConfig), {
    queuePrefix: prefix,
    sessionPrefix: `${prefix}:session:`,
  });

  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  return {
    telegram,
    horizon,
    anvil,
    databaseUrl: database.url,
    signerUrl: signer.url,
    botPort,
    queuePrefix: prefix,
    publicUrl: `http://127.0.0.1:${botPort}`,
    webhookPath,
    secrets,
    logLines,
    query: async (sql, values) => (await pool.query(sql, values)).rows,
    async stop() {
      await bot.stop();
      await worker.stop();
      await signer.close();
      await pool.end();
      await Promise.all([telegram.close(), horizon.close(), anvil.stop()]);
      await database.drop();
    },
  };
}

/** Waits until `check` returns a value other than undefined/false, polling every 25 ms. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
