// The live Stellar payments watcher as the worker runs it: its own small database pool, the
// Horizon payments stream, and the deposit sink that queues the owners' notifications.
import pg from 'pg';
import type { WorkerConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { JobProducer } from '../../core/ports.ts';
import { createDepositRepository, createWatcherCursorStore } from '../../core/adapters/deposit-repository.ts';
import {
  createHorizonPaymentFeed,
  type HorizonPaymentFeedOptions,
} from '../../core/adapters/stellar-horizon.ts';
import { createDepositSink } from '../../core/services/deposits.ts';
import { createStellarWatcher, type StellarWatcher } from '../../core/services/stellar-watcher.ts';

/** What {@link startStellarWatcher} needs. */
export interface StellarWatcherOptions {
  config: Pick<WorkerConfig, 'DATABASE_URL' | 'EVM_TOKENS'> & { stellar: { horizonUrl: string } };
  /** Queues the notifications (the worker's job producer). */
  jobs: Pick<JobProducer, 'notify'>;
  logger: Logger;
  /** Overrides of the feed's timings (tests). */
  feed?: Omit<HorizonPaymentFeedOptions, 'horizonUrl'>;
  /**
   * A pool to share (e.g. with the EVM watcher's sink and the notification reader); it is left open
   * on stop. Without one the watcher opens its own pool of `poolSize` connections (default 4).
   */
  pool?: pg.Pool;
  poolSize?: number;
}

/** A started watcher; `stop()` lets the batch in hand finish, stores the cursor, closes its own pool. */
export interface RunningStellarWatcher {
  watcher: StellarWatcher;
  stop(): Promise<void>;
}

/**
 * Starts watching Stellar payments into platform wallets from the stored cursor (from the latest
 * ledger on the very first start). Resolves once it is reading the stream.
 */
export async function startStellarWatcher(options: StellarWatcherOptions): Promise<RunningStellarWatcher> {
  const ownPool = options.pool === undefined;
  const pool =
    options.pool ??
    new pg.Pool({ connectionString: options.config.DATABASE_URL, max: options.poolSize ?? 4 });
  if (ownPool)
    pool.on('error', (error) =>
      options.logger.warn({ err: error }, 'idle watcher database connection failed'),
    );
  const sink = createDepositSink({
    store: createDepositRepository(pool),
    jobs: options.jobs,
    knownTokens: options.config.EVM_TOKENS,
    logger: options.logger,
  });
  const watcher = createStellarWatcher({
    feed: createHorizonPaymentFeed({ horizonUrl: options.config.stellar.horizonUrl, ...options.feed }),
    sink,
    cursors: createWatcherCursorStore(pool),
    logger: options.logger,
  });
  try {
    await watcher.start();
  } catch (error) {
    if (ownPool) await pool.end();
    throw error;
  }
  return {
    watcher,
    async stop() {
      await watcher.stop();
      if (ownPool) await pool.end();
    },
  };
}
