/**
 * An EVM chain through JSON-RPC with ethers v6. The provider is built with a static network and
 * no response cache: ethers otherwise caches identical calls for 250 ms, which against a fast node
 * returns stale balances and nonces.
 */
import { FetchRequest, JsonRpcProvider, isAddress } from 'ethers';
import { AppError, PermanentError } from '../errors.ts';
import type { EvmNetwork } from '../ports.ts';

/** A JSON-RPC call failed (network, timeout, node error); reads are safe to retry. */
export class EvmRpcError extends AppError {
  readonly retryable = true;

  constructor(
    readonly method: string,
    options?: { cause?: unknown },
  ) {
    super('EVM_RPC_UNAVAILABLE', `EVM JSON-RPC ${method} failed`, { method }, options);
  }
}

/**
 * The node at the configured URL serves another chain than the configured chain id. Nothing may be
 * read or sent through it: balances and signatures would belong to the wrong chain.
 */
export class EvmChainMismatchError extends PermanentError {
  constructor(
    readonly expectedChainId: number,
    readonly actualChainId: number,
  ) {
    super(
      'EVM_CHAIN_MISMATCH',
      `RPC node serves chain ${actualChainId}, configuration says ${expectedChainId}`,
      { expectedChainId, actualChainId },
    );
  }
}

/** Not a valid 0x... EVM address. */
export class InvalidEvmAddressError extends PermanentError {
  constructor(readonly field: string) {
    super('EVM_ADDRESS_INVALID', `${field} is not a valid EVM address`, { field });
  }
}

/** Options of {@link createEvmNetwork}. */
export interface EvmNetworkOptions {
  rpcUrl: string;
  chainId: number;
  /** Upper bound of every request in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** An {@link EvmNetwork} that can also release its connections. */
export interface EvmRpcNetwork extends EvmNetwork {
  /** Stops the provider (timers, pending requests). Call once on shutdown. */
  destroy(): void;
}

/**
 * An {@link EvmNetwork} over JSON-RPC. The node's chain id is checked once, on first use (and
 * again after a failed check), so a wrong URL fails loudly instead of reading another chain.
 */
export function createEvmNetwork(options: EvmNetworkOptions): EvmRpcNetwork {
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = options.timeoutMs ?? 30_000;
  const provider = new JsonRpcProvider(request, options.chainId, { staticNetwork: true, cacheTimeout: -1 });

  let chainChecked: Promise<void> | undefined;
  const checkChain = () => {
    chainChecked ??= (async () => {
      const reported = await call('eth_chainId', () => provider.send('eth_chainId', []) as Promise<string>);
      const actual = Number(BigInt(reported));
      if (actual !== options.chainId) throw new EvmChainMismatchError(options.chainId, actual);
    })().catch((error: unknown) => {
      chainChecked = undefined;
      throw error;
    });
    return chainChecked;
  };

  return {
    async getNativeBalance(address) {
      if (!isAddress(address)) throw new InvalidEvmAddressError('address');
      await checkChain();
      return call('eth_getBalance', () => provider.getBalance(address, 'latest'));
    },
    destroy() {
      provider.destroy();
    },
  };
}

async function call<T>(method: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new EvmRpcError(method, { cause: error });
  }
}
