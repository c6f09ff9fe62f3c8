/**
 * `npm run resync:evm -- --from <block> --to <block>`: fills a gap in EVM deposits (after downtime)
 * by scanning a block range through the same deposit sink and event keys as the live watcher.
 * Running it twice, or while the watcher runs, changes nothing the second time. Blocks without
 * EVM_CONFIRMATIONS confirmations yet are left to the live watcher.
 *
 * Needs DATABASE_URL, REDIS_URL (owners are notified through the notifications queue), EVM_RPC_URL,
 * EVM_CHAIN_ID, and the worker's EVM_TOKENS and EVM_CONFIRMATIONS.
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { z } from 'zod';
import { evmTokensSetting, parseEnv } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { createPrismaClient } from '../core/adapters/prisma-client.ts';
import { connectRedis } from '../core/adapters/redis.ts';
import { createJobProducer } from '../core/adapters/job-producer.ts';
import { createEvmNetwork } from '../core/adapters/evm-rpc.ts';
import { createEvmWatcherStore } from '../core/adapters/evm-watcher-store.ts';
import { createDepositRepository } from '../core/adapters/deposit-repository.ts';
import { createDepositSink } from '../core/services/deposits.ts';
import { resyncEvmBlocks } from '../core/services/evm-watcher.ts';

const USAGE = 'usage: npm run resync:evm -- --from <block> --to <block>';

/** A command line that cannot be run; printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Parses `--from <block> --to <block>` (also `--from=<block>`); throws {@link UsageError}. */
export function parseResyncArgs(argv: readonly string[]): { from: number; to: number } {
  const values = new Map<string, string>();
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    const match = /^--(from|to)(?:=(.*))?$/.exec(argument);
    if (!match) throw new UsageError(`unknown argument "${argument}"; ${USAGE}`);
    const value = match[2] ?? argv[++index];
    if (value === undefined) throw new UsageError(`--${match[1]} needs a block number; ${USAGE}`);
    values.set(match[1]!, value);
  }
  const block = (name: 'from' | 'to') => {
    const text = values.get(name);
    if (text === undefined) throw new UsageError(`--${name} is required; ${USAGE}`);
    if (!/^\d{1,15}$/.test(text)) throw new UsageError(`--${name} must be a block number, got "${text}"`);
    return Number(text);
  };
  const from = block('from');
  const to = block('to');
  if (from > to) throw new UsageError(`--from (${from}) is after --to (${to})`);
  return { from, to };
}

/** The variables the re-sync reads, with the worker's meaning and defaults. */
function loadResyncConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(
    {
      DATABASE_URL: z.url(),
      REDIS_URL: z.url(),
      EVM_RPC_URL: z.url(),
      EVM_CHAIN_ID: z.coerce.number().int().positive(),
      EVM_TOKENS: evmTokensSetting,
      EVM_CONFIRMATIONS: z.coerce.number().int().min(0).max(1000).default(3),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    },
    env,
  );
}

/** Options of {@link runResyncEvm}; tests pass their own environment, output and queue prefix. */
export interface ResyncEvmOptions {
  env?: NodeJS.ProcessEnv;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** BullMQ key prefix of the notifications queue (default: BullMQ's own). */
  queuePrefix?: string;
}

/**
 * Runs the re-sync for `argv`; returns the exit code (0 done, 1 failed, 2 bad arguments or
 * configuration). The result goes to `out`, problems to `err`, one line each.
 */
export async function runResyncEvm(argv: readonly string[], options: ResyncEvmOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  let range: { from: number; to: number };
  let config: ReturnType<typeof loadResyncConfig>;
  try {
    range = parseResyncArgs(argv);
    config = loadResyncConfig(options.env ?? process.env);
  } catch (error) {
    if (error instanceof UsageError) err(`resync-evm: ${error.message}`);
    else if (error instanceof ConfigError) err(`resync-evm: config error: ${error.message}`);
    else throw error;
    return 2;
  }

  const logger = createLogger({ name: 'resync-evm', level: config.LOG_LEVEL });
  const prisma = createPrismaClient(config.DATABASE_URL, { maxConnections: 2 });
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 });
  const chain = createEvmNetwork({ rpcUrl: config.EVM_RPC_URL, chainId: config.EVM_CHAIN_ID });
  let redis: Awaited<ReturnType<typeof connectRedis>> | undefined;
  let jobs: ReturnType<typeof createJobProducer> | undefined;
  try {
    redis = await connectRedis(config.REDIS_URL, 'producer');
    jobs = createJobProducer(redis, { prefix: options.queuePrefix });
    const report = await resyncEvmBlocks(
      {
        chain,
        sink: createDepositSink({
          store: createDepositRepository(pool),
          jobs,
          knownTokens: config.EVM_TOKENS,
          logger,
        }),
        store: createEvmWatcherStore(prisma),
        logger,
        settings: {
          chainId: config.EVM_CHAIN_ID,
          confirmations: config.EVM_CONFIRMATIONS,
          tokens: config.EVM_TOKENS,
          pollIntervalMs: 0,
        },
      },
      {
        ...range,
        onProgress: (progress) =>
          logger.debug({ to: progress.to, seen: progress.seen }, 'resync-evm progress'),
      },
    );
    if (report.to < range.to)
      out(
        `blocks ${Math.max(report.to + 1, range.from)}..${range.to} skipped: fewer than ${config.EVM_CONFIRMATIONS} confirmations (head ${report.head}); the live watcher takes them`,
      );
    const scanned = report.to >= range.from ? `blocks ${range.from}..${report.to}` : 'no blocks';
    out(
      `${scanned}: seen ${report.seen}, new ${report.created}, already ${report.existing}, credited ${report.credited}`,
    );
    return 0;
  } catch (error) {
    logger.error({ err: error }, 'resync-evm failed');
    err(`resync-evm: failed: ${(error as Error).message}`);
    return 1;
  } finally {
    chain.destroy();
    await jobs?.close();
    await redis?.quit();
    await Promise.all([prisma.$disconnect(), pool.end()]);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await runResyncEvm(process.argv.slice(2));
