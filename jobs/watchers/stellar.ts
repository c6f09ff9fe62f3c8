// The live Stellar payments watcher as the worker runs it: its own small database pool, the
// Horizon payments stream, the deposit sink that queues the owners' notifications, and the leader
// lock (a connection of its own) that lets only one worker process stream.
import pg from 'pg';
import type { WorkerConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { JobProducer } from '../../core/ports.ts';
import { createDepositRepository, createWatcherCursorStore } from '../../core/adapters/deposit-repository.ts';
import { createLeaderLock } from '../../core/adapters/leader-lock.ts';
import {
  createHorizonPaymentFeed,
  type HorizonPaymentFeedOptions,
} from '../../core/adapters/stellar-horizon.ts';
import { createDepositSink } from '../../core/services/deposits.ts';
import {
  createStellarWatcher,
  STELLAR_CURSOR_NAME,
  type StellarWatcher,
} from '../../core/services/stellar-watcher.ts';

/** What {@link startStellarWatcher} needs. */
export interface StellarWatcherOptions {
  config: Pick<WorkerConfig, 'DATABASE_URL' | 'EVM_TOKENS'> & { stellar: { horizonUrl: string } };
  /** Queues the notifications (the worker's job producer). */
  jobs: Pick<JobProducer, 'notify'>;
  logger: Logger;
  /** Overrides of the feed's timings (tests). */
  feed?: Omit<HorizonPaymentFeedOptions, 'horizonUrl'>;
  /**
   * Overrides of the election's timings (tests): how often a follower tries to take the lead
   * (default 1000 ms) and how often the leader checks its lock connection (default 2000 ms).
   */
  leadership?: { retryMs?: number; heartbeatMs?: number };
  /**
   * A pool to share (e.g. with the EVM watcher's sink and the notification reader); it is left open
   * on stop. Without one the watcher opens its own pool of `poolSize` connections (default 4).
   */
  pool?: pg.Pool;
  poolSize?: number;
}

/**
 * A started watcher; `stop()` lets the batch in hand finish, stores the cursor, gives up the lead
 * and closes its own pool; calling it again waits for the same stop.
 */
export interface RunningStellarWatcher {
  watcher: StellarWatcher;
  stop(): Promise<void>;
}

/**
 * Starts watching Stellar payments into platform wallets from the stored cursor (from the latest
 * ledger on the very first start). Resolves once it is reading the stream, or once it knows that
 * another worker process leads (it takes over when that one stops or dies).
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
    lock: createLeaderLock({
      connectionString: options.config.DATABASE_URL,
      name: STELLAR_CURSOR_NAME,
      logger: options.logger,
      heartbeatMs: options.leadership?.heartbeatMs,
    }),
    leaderRetryMs: options.leadership?.retryMs,
    logger: options.logger,
  });
  try {
    await watcher.start();
  } catch (error) {
    if (ownPool) await pool.end();
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    watcher,
    // Once only: shutdown paths may overlap, and a pool cannot be ended twice.
    stop: () =>
      (stopped ??= (async () => {
        await watcher.stop();
        if (ownPool) await pool.end();
      })()),
  };
}
