/**
 * The EVM deposit watcher inside the worker process: polls the chain for transfers into platform
 * wallets and hands them to the deposit sink (see core/services/evm-watcher.ts). Only one worker
 * process polls a chain at a time; the others skip their polls while it holds the lock.
 */
import type { WorkerConfig } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import type { PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createEvmWatcherStore } from '../../core/adapters/evm-watcher-store.ts';
import {
  createEvmWatcher,
  type EvmChainReader,
  type EvmDepositSink,
  type EvmWatcher,
} from '../../core/services/evm-watcher.ts';

/** What {@link startEvmWatcher} needs, all built once in jobs/main.ts. */
export interface EvmWatcherProcessDeps {
  config: Pick<WorkerConfig, 'EVM_CHAIN_ID' | 'EVM_CONFIRMATIONS' | 'EVM_POLL_INTERVAL_MS' | 'EVM_TOKENS'>;
  prisma: PrismaClient;
  /** The worker's EVM network (core/adapters/evm-rpc.ts `createEvmNetwork`). */
  chain: EvmChainReader;
  sink: EvmDepositSink;
  logger: Logger;
}

/** A started watcher; `stop()` waits for the poll in flight. */
export interface RunningEvmWatcher {
  watcher: EvmWatcher;
  stop(): Promise<void>;
}

/** Starts polling at once; call `stop()` on shutdown, before closing Prisma and the provider. */
export function startEvmWatcher(deps: EvmWatcherProcessDeps): RunningEvmWatcher {
  const watcher = createEvmWatcher({
    chain: deps.chain,
    sink: deps.sink,
    store: createEvmWatcherStore(deps.prisma),
    logger: deps.logger,
    settings: {
      chainId: deps.config.EVM_CHAIN_ID,
      confirmations: deps.config.EVM_CONFIRMATIONS,
      pollIntervalMs: deps.config.EVM_POLL_INTERVAL_MS,
      tokens: deps.config.EVM_TOKENS,
    },
  });
  watcher.start();
  return { watcher, stop: () => watcher.stop() };
}
