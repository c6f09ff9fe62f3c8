/**
 * The submission side of an EVM chain over JSON-RPC: nonces, gas estimates, broadcasting signed
 * raw transactions and reading receipts. Broadcast failures are sorted the way a money-moving
 * caller must treat them (see {@link EvmTransactions}): the nonce is spent, the account cannot pay
 * (refused for good), or the outcome is unknown and the same bytes go out again later.
 */
import { FetchRequest, Interface, JsonRpcProvider, Transaction, getAddress, isError, toBeHex } from 'ethers';
import { AppError, PermanentError } from '../errors.ts';
import { EvmRpcError } from './evm-rpc.ts';
import type { EvmCall, EvmReceipt, EvmTransactions } from '../services/payment-execution/ports.ts';

/** The transaction's nonce is already used on chain: by this transaction, or by another. */
export class EvmNonceConsumedError extends AppError {
  readonly retryable = false;

  constructor(readonly hash: string) {
    super('EVM_NONCE_CONSUMED', `the nonce of ${hash} is already used`, { hash });
  }
}

/** The account cannot pay value plus the most the gas may cost; the node refused the transaction. */
export class EvmInsufficientFundsError extends PermanentError {
  constructor(readonly hash: string | undefined) {
    super('EVM_INSUFFICIENT_FUNDS', `insufficient funds for ${hash ?? 'the call'}`, { hash });
  }
}

/** Estimating the call's gas shows it would revert (for a token transfer: usually the balance). */
export class EvmExecutionRevertedError extends PermanentError {
  constructor(
    readonly to: string,
    options?: { cause?: unknown },
  ) {
    super('EVM_EXECUTION_REVERTED', `a call to ${to} would revert`, { to }, options);
  }
}

/**
 * The node did not take the transaction, or did not say (timeout, connection lost, "replacement
 * underpriced" while another transaction with that nonce waits). Broadcast the same bytes again later.
 */
export class EvmBroadcastUnknownError extends AppError {
  readonly retryable = true;

  constructor(
    readonly hash: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('EVM_BROADCAST_UNKNOWN', `broadcast of ${hash} unsettled: ${reason}`, { hash, reason }, options);
  }
}

/** Options of {@link createEvmTransactions}. */
export interface EvmTransactionsOptions {
  rpcUrl: string;
  chainId: number;
  /** Upper bound of every request in milliseconds (default 30 s). */
  timeoutMs?: number;
}

/** {@link EvmTransactions} that can also release its connections. */
export interface EvmTransactionsClient extends EvmTransactions {
  destroy(): void;
}

const ERC20 = new Interface(['function transfer(address to, uint256 amount) returns (bool)']);

/** The node's own words, wherever ethers put them. */
function nodeMessage(error: unknown): string {
  const info = (error as { info?: { error?: { message?: unknown } } } | null)?.info?.error?.message;
  const inner = (error as { error?: { message?: unknown } } | null)?.error?.message;
  const own = (error as Error | null)?.message;
  return [info, inner, own].filter((part) => typeof part === 'string').join(' | ');
}

interface RawReceipt {
  status: string | null;
  blockNumber: string | null;
  blockHash: string | null;
}

/** An {@link EvmTransactions} over JSON-RPC, with a provider that never answers from a cache. */
export function createEvmTransactions(options: EvmTransactionsOptions): EvmTransactionsClient {
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = options.timeoutMs ?? 30_000;
  // A cached nonce or receipt is exactly the stale answer a fence must not see (FACTS.md).
  const provider = new JsonRpcProvider(request, options.chainId, { staticNetwork: true, cacheTimeout: -1 });

  const read = async <T>(method: string, params: unknown[]): Promise<T> => {
    try {
      return (await provider.send(method, params)) as T;
    } catch (error) {
      throw new EvmRpcError(method, { cause: error });
    }
  };

  return {
    async nonces(address) {
      const from = getAddress(address);
      const [latest, pending] = await Promise.all([
        read<string>('eth_getTransactionCount', [from, 'latest']),
        read<string>('eth_getTransactionCount', [from, 'pending']),
      ]);
      return { latest: BigInt(latest), pending: BigInt(pending) };
    },

    async estimateGas(call) {
      const params = {
        from: getAddress(call.from),
        to: getAddress(call.to),
        value: toBeHex(call.value),
        data: call.data,
      };
      try {
        return BigInt((await provider.send('eth_estimateGas', [params])) as string);
      } catch (error) {
        const message = nodeMessage(error);
        if (/insufficient funds/i.test(message)) throw new EvmInsufficientFundsError(undefined);
        if (isError(error, 'CALL_EXCEPTION') || /revert/i.test(message))
          throw new EvmExecutionRevertedError(call.to, { cause: error });
        throw new EvmRpcError('eth_estimateGas', { cause: error });
      }
    },

    async broadcast(rawTransaction) {
      const hash = Transaction.from(rawTransaction).hash!;
      try {
        await provider.send('eth_sendRawTransaction', [rawTransaction]);
      } catch (error) {
        const message = nodeMessage(error);
        // The node holds it already (geth: "already known", anvil: "already imported"): it is out.
        if (/already (known|imported)|known transaction/i.test(message)) return;
        if (isError(error, 'NONCE_EXPIRED') || /nonce too low/i.test(message))
          throw new EvmNonceConsumedError(hash);
        if (isError(error, 'INSUFFICIENT_FUNDS') || /insufficient funds/i.test(message))
          throw new EvmInsufficientFundsError(hash);
        throw new EvmBroadcastUnknownError(hash, message.slice(0, 200) || 'no answer', { cause: error });
      }
    },

    async receipt(hash): Promise<EvmReceipt | null> {
      const receipt = await read<RawReceipt | null>('eth_getTransactionReceipt', [hash]);
      // A receipt without a block is not final (some nodes show pending ones).
      if (!receipt?.blockNumber || !receipt.blockHash) return null;
      return {
        succeeded: receipt.status !== null && BigInt(receipt.status) === 1n,
        blockNumber: BigInt(receipt.blockNumber),
        blockHash: receipt.blockHash,
      };
    },

    async blockNumber() {
      return BigInt(await read<string>('eth_blockNumber', []));
    },

    decode(rawTransaction) {
      const transaction = Transaction.from(rawTransaction);
      if (!transaction.hash || !transaction.from)
        throw new PermanentError('EVM_TX_UNSIGNED', 'not a signed transaction');
      return { hash: transaction.hash, nonce: BigInt(transaction.nonce), from: transaction.from };
    },

    callOf(transfer): EvmCall {
      if (transfer.kind === 'native')
        return { to: getAddress(transfer.to), value: BigInt(transfer.value), data: '0x' };
      return {
        to: getAddress(transfer.token),
        value: 0n,
        data: ERC20.encodeFunctionData('transfer', [getAddress(transfer.to), BigInt(transfer.amount)]),
      };
    },

    destroy() {
      provider.destroy();
    },
  };
}
