/**
 * The EVM deposit watcher inside the worker process: polls the chain for transfers into platform
 * wallets and hands them to the deposit sink (see core/services/evm-watcher.ts). Only the worker
 * process that holds the watcher's leader lock polls a chain; the others skip their polls and take
 * the lead within a poll interval once it is free (its holder stopped, died or lost its lock
 * connection).
 */
import type { WorkerConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createEvmWatcherStore } from '../../core/adapters/evm-watcher-store.ts';
import { createLeaderLock } from '../../core/adapters/leader-lock.ts';
import {
  createEvmWatcher,
  evmWatcherName,
  type EvmChainReader,
  type EvmDepositSink,
  type EvmWatcher,
} from '../../core/services/evm-watcher.ts';

/** What {@link startEvmWatcher} needs, all built once in jobs/main.ts. */
export interface EvmWatcherProcessDeps {
  config: Pick<
    WorkerConfig,
    'DATABASE_URL' | 'EVM_CHAIN_ID' | 'EVM_CONFIRMATIONS' | 'EVM_POLL_INTERVAL_MS' | 'EVM_TOKENS'
  >;
  prisma: PrismaClient;
  /** The worker's EVM network (core/adapters/evm-rpc.ts `createEvmNetwork`). */
  chain: EvmChainReader;
  sink: EvmDepositSink;
  logger: Logger;
}

/** A started watcher; `stop()` waits for the poll in flight, then gives up the lead. */
export interface RunningEvmWatcher {
  watcher: EvmWatcher;
  stop(): Promise<void>;
}

/** Starts polling at once; call `stop()` on shutdown, before closing Prisma and the provider. */
export function startEvmWatcher(deps: EvmWatcherProcessDeps): RunningEvmWatcher {
  const lock = createLeaderLock({
    connectionString: deps.config.DATABASE_URL,
    name: evmWatcherName(deps.config.EVM_CHAIN_ID),
    logger: deps.logger,
  });
  const watcher = createEvmWatcher({
    chain: deps.chain,
    sink: deps.sink,
    store: createEvmWatcherStore(deps.prisma, { lock }),
    logger: deps.logger,
    settings: {
      chainId: deps.config.EVM_CHAIN_ID,
      confirmations: deps.config.EVM_CONFIRMATIONS,
      pollIntervalMs: deps.config.EVM_POLL_INTERVAL_MS,
      tokens: deps.config.EVM_TOKENS,
    },
  });
  watcher.start();
  return {
    watcher,
    async stop() {
      await watcher.stop();
      await lock.release();
    },
  };
}
