// `npm run resync -- --from <ledger> --to <ledger>`: records every Stellar payment of those ledgers
// into platform wallets that is not recorded yet (after downtime), and queues its notification.
// Goes through the same deposit sink as the live watcher, unique on the operation id, so running
// it twice, or while the watcher runs, records and announces each payment once. Reads the worker's
// configuration (DATABASE_URL, REDIS_URL, STELLAR_*); leaves the watcher's cursor alone.
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { loadWorkerConfig, type WorkerConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { connectRedis } from '../core/adapters/redis.ts';
import { createJobProducer } from '../core/adapters/job-producer.ts';
import { createDepositRepository } from '../core/adapters/deposit-repository.ts';
import { createHorizonPaymentFeed } from '../core/adapters/stellar-horizon.ts';
import { createDepositSink } from '../core/services/deposits.ts';
import {
  LedgerRangeError,
  resyncStellarLedgers,
  type IngestCounts,
} from '../core/services/stellar-watcher.ts';

/** Exit code of a command line that cannot be understood. */
export const USAGE_EXIT_CODE = 2;
const USAGE = 'usage: npm run resync -- --from <ledger> --to <ledger>';
/** Ledgers one run may cover: about 58 days of history; split bigger gaps. */
const MAX_LEDGERS = 1_000_000;

/** The command line was not understood; the message is one line for the user. */
export class ResyncUsageError extends Error {
  readonly code = 'RESYNC_USAGE';
}

/** Parses `--from N --to M` (or `--from=N`); ledgers are positive integers, from ≤ to. */
export function parseResyncArgs(argv: readonly string[]): { from: number; to: number } {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--(from|to)(?:=(.*))?$/.exec(arg);
    if (!match) throw new ResyncUsageError(`unexpected argument "${arg}"; ${USAGE}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new ResyncUsageError(`--${match[1]} needs a ledger number; ${USAGE}`);
    values[match[1]!] = value;
  }
  const ledger = (name: 'from' | 'to') => {
    const text = values[name];
    if (text === undefined) throw new ResyncUsageError(`--${name} is required; ${USAGE}`);
    if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 2 ** 32 - 1)
      throw new ResyncUsageError(`--${name} must be a ledger number (1 to 4294967295), got "${text}"`);
    return Number(text);
  };
  const from = ledger('from');
  const to = ledger('to');
  if (from > to) throw new ResyncUsageError(`--from (${from}) must not be after --to (${to})`);
  if (to - from + 1 > MAX_LEDGERS)
    throw new ResyncUsageError(`at most ${MAX_LEDGERS} ledgers per run; split the range`);
  return { from, to };
}

/** Options for tests: a BullMQ prefix keeps their queues apart. */
export interface ResyncOptions {
  queuePrefix?: string;
}

/** Runs the re-sync with `config`; resolves with the counts. */
export async function runResync(
  range: { from: number; to: number },
  config: Pick<WorkerConfig, 'DATABASE_URL' | 'REDIS_URL' | 'EVM_TOKENS'> & {
    stellar: { horizonUrl: string };
  },
  logger: Logger,
  options: ResyncOptions = {},
): Promise<IngestCounts> {
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 4 });
  const redis = await connectRedis(config.REDIS_URL, 'producer');
  const jobs = createJobProducer(redis, { prefix: options.queuePrefix });
  try {
    const sink = createDepositSink({
      store: createDepositRepository(pool),
      jobs,
      knownTokens: config.EVM_TOKENS,
      logger,
    });
    const feed = createHorizonPaymentFeed({ horizonUrl: config.stellar.horizonUrl });
    return await resyncStellarLedgers(range, { feed, sink, logger });
  } finally {
    await jobs.close();
    await Promise.all([pool.end(), redis.quit()]);
  }
}

/** One line of counts, as the command prints it. */
export function describeCounts(range: { from: number; to: number }, counts: IngestCounts): string {
  return (
    `ledgers ${range.from}-${range.to}: ${counts.records} payment records read, ` +
    `${counts.seen} into platform wallets (seen): ${counts.recorded} new, ` +
    `${counts.alreadyRecorded} already recorded`
  );
}

async function main(): Promise<void> {
  let range: { from: number; to: number };
  try {
    range = parseResyncArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ResyncUsageError)) throw error;
    process.stderr.write(`resync: ${error.message}\n`);
    process.exit(USAGE_EXIT_CODE);
  }
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`config error: ${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger({
    name: 'resync',
    level: config.LOG_LEVEL,
    secrets: [config.BOT_TOKEN, config.SIGNER_AUTH_SECRET],
  });
  try {
    const counts = await runResync(range, config, logger);
    process.stdout.write(`${describeCounts(range, counts)}\n`);
  } catch (error) {
    if (error instanceof LedgerRangeError) {
      process.stderr.write(`resync: ${error.message}\n`);
      process.exit(USAGE_EXIT_CODE);
    }
    logger.fatal({ err: error }, 'resync failed');
    process.stderr.write(`resync failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
