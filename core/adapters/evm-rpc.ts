/**
 * An EVM chain through JSON-RPC with ethers v6. The provider is built with a static network and
 * no response cache: ethers otherwise caches identical calls for 250 ms, which against a fast node
 * returns stale balances and nonces.
 */
import {
  AbiCoder,
  FetchRequest,
  JsonRpcProvider,
  decodeBytes32String,
  getAddress,
  id,
  isAddress,
  isError,
  toBeHex,
  zeroPadValue,
} from 'ethers';
import { AppError, PermanentError } from '../errors.ts';
import type { EvmNetwork } from '../ports.ts';
import type {
  EvmBlockHeader,
  EvmBlockScan,
  EvmChainReader,
  EvmNativeTransfer,
  EvmTokenTransfer,
} from '../services/evm-watcher.ts';

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

/**
 * A read-only contract call (`balanceOf`) came back empty or reverted: there is no ERC-20 at that
 * address on this chain. Retrying does not help; the token address is wrong.
 */
export class EvmTokenCallError extends PermanentError {
  constructor(
    readonly token: string,
    readonly result: string,
  ) {
    super('EVM_TOKEN_CALL_FAILED', `balanceOf on ${token} returned ${result.slice(0, 20) || 'nothing'}`, {
      token,
    });
  }
}

/** The node answered with something that is not a valid JSON-RPC object of the expected shape. */
export class EvmRpcMalformedError extends AppError {
  readonly retryable = true;

  constructor(
    readonly method: string,
    readonly problem: string,
  ) {
    super('EVM_RPC_MALFORMED', `EVM JSON-RPC ${method} answered malformed data: ${problem}`, {
      method,
      problem,
    });
  }
}

/** Options of {@link createEvmNetwork}. */
export interface EvmNetworkOptions {
  rpcUrl: string;
  chainId: number;
  /** Upper bound of every request in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** Most blocks one `eth_getLogs` call spans (default 2,000); a range the node refuses is halved. */
  maxLogBlockRange?: number;
  /** Most recipient addresses in one `eth_getLogs` topic filter (default 200). */
  maxLogAddresses?: number;
  /**
   * Above this many recipients, `eth_getLogs` asks for every `Transfer` in the range and filters
   * here: one call per range instead of one per address chunk (default 1,000).
   */
  unfilteredLogsAbove?: number;
}

/** An {@link EvmNetwork} that also reads blocks and transfer logs for the deposit watcher. */
export interface EvmRpcNetwork extends EvmNetwork, EvmChainReader {
  /** Stops the provider (timers, pending requests). Call once on shutdown. */
  destroy(): void;
}

/** topic0 of ERC-20 (and ERC-721) `Transfer(address,address,uint256)`. */
export const TRANSFER_TOPIC = id('Transfer(address,address,uint256)');
/** Selector of `balanceOf(address)`. */
const BALANCE_OF = '0x70a08231';
/** Selector of `symbol()`. */
const SYMBOL = '0x95d89b41';

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

  const send = async <T>(method: string, params: unknown[]): Promise<T> => {
    await checkChain();
    return call(method, () => provider.send(method, params) as Promise<T>);
  };
  const maxRange = Math.max(1, options.maxLogBlockRange ?? 2_000);
  const maxAddresses = Math.max(1, options.maxLogAddresses ?? 200);
  const unfilteredAbove = options.unfilteredLogsAbove ?? 1_000;

  /** One `eth_getLogs` call; a range the node refuses (too many results, too wide) is halved. */
  const transferLogs = async (from: number, to: number, topics: string[] | null): Promise<RawLog[]> => {
    try {
      return await send<RawLog[]>('eth_getLogs', [
        {
          fromBlock: toBeHex(from),
          toBlock: toBeHex(to),
          topics: topics ? [TRANSFER_TOPIC, null, topics] : [TRANSFER_TOPIC],
        },
      ]);
    } catch (error) {
      if (to === from || !(error instanceof EvmRpcError)) throw error;
      const middle = from + Math.floor((to - from) / 2);
      return [...(await transferLogs(from, middle, topics)), ...(await transferLogs(middle + 1, to, topics))];
    }
  };

  return {
    async getNativeBalance(address) {
      if (!isAddress(address)) throw new InvalidEvmAddressError('address');
      await checkChain();
      return call('eth_getBalance', () => provider.getBalance(address, 'latest'));
    },

    async getTokenBalance(token, address) {
      if (!isAddress(token)) throw new InvalidEvmAddressError('token');
      if (!isAddress(address)) throw new InvalidEvmAddressError('address');
      const data = BALANCE_OF + zeroPadValue(getAddress(address), 32).slice(2);
      const result = await send<string>('eth_call', [{ to: getAddress(token), data }, 'latest']);
      // An address without code answers `0x`; a real balanceOf answers one 32-byte word.
      if (!/^0x[0-9a-fA-F]{64}$/.test(result)) throw new EvmTokenCallError(getAddress(token), result);
      return BigInt(result);
    },

    async feeData() {
      await checkChain();
      const fees = await call('eth_maxPriorityFeePerGas', () => provider.getFeeData());
      if (fees.maxFeePerGas !== null && fees.maxPriorityFeePerGas !== null)
        return { maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas };
      // A chain without EIP-1559: the gas price is both the cap and the tip.
      if (fees.gasPrice === null) throw new EvmRpcMalformedError('eth_gasPrice', 'no fee data');
      return { maxFeePerGas: fees.gasPrice, maxPriorityFeePerGas: fees.gasPrice };
    },

    async latestBlockNumber() {
      return quantity('eth_blockNumber', await send<string>('eth_blockNumber', []));
    },

    async getBlockHeader(number) {
      const block = await send<RawBlock | null>('eth_getBlockByNumber', [toBeHex(number), false]);
      return block && headerOf(block);
    },

    async scanBlock(number, watched): Promise<EvmBlockScan | null> {
      const block = await send<RawBlock | null>('eth_getBlockByNumber', [toBeHex(number), true]);
      if (!block) return null;
      const header = headerOf(block);
      const candidates = (block.transactions ?? []).filter(
        (tx): tx is RawTransaction =>
          typeof tx === 'object' &&
          typeof tx.to === 'string' &&
          watched.has(tx.to.toLowerCase()) &&
          BigInt(tx.value ?? '0x0') > 0n,
      );
      // A reverted transaction moves no value; only its receipt says so.
      const receipts = await Promise.all(
        candidates.map((tx) => send<RawReceipt | null>('eth_getTransactionReceipt', [tx.hash])),
      );
      const nativeTransfers: EvmNativeTransfer[] = [];
      candidates.forEach((tx, index) => {
        const receipt = receipts[index];
        if (!receipt || receipt.blockHash !== header.hash || quantity('receipt', receipt.status) !== 1)
          return;
        nativeTransfers.push({
          txHash: tx.hash,
          from: getAddress(tx.from),
          to: getAddress(tx.to!),
          value: BigInt(tx.value),
        });
      });
      return { header, nativeTransfers };
    },

    async getTokenTransfers(fromBlock, toBlock, recipients) {
      if (recipients.length === 0 || toBlock < fromBlock) return [];
      const wanted = new Set(recipients.map((address) => address.toLowerCase()));
      const topics = [...wanted].map((address) => zeroPadValue(getAddress(address), 32).toLowerCase());
      // No contract filter on purpose: a transfer from any contract is seen, look-alikes included.
      const filters = topics.length > unfilteredAbove ? [null] : chunks(topics, maxAddresses);
      const transfers: EvmTokenTransfer[] = [];
      for (let start = fromBlock; start <= toBlock; start += maxRange) {
        const end = Math.min(toBlock, start + maxRange - 1);
        for (const filter of filters) {
          for (const log of await transferLogs(start, end, filter)) {
            const transfer = tokenTransferOf(log);
            if (transfer && wanted.has(transfer.to.toLowerCase())) transfers.push(transfer);
          }
        }
      }
      return transfers.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    },

    async tokenSymbol(token) {
      if (!isAddress(token)) throw new InvalidEvmAddressError('token');
      let result: string;
      try {
        result = await send<string>('eth_call', [{ to: getAddress(token), data: SYMBOL }, 'latest']);
      } catch (error) {
        // A contract without symbol() reverts; that is an answer, not an outage.
        if (error instanceof EvmRpcError && isCallException(error.cause)) return null;
        throw error;
      }
      return claimedSymbol(result);
    },

    destroy() {
      provider.destroy();
    },
  };
}

interface RawBlock {
  number: string;
  hash: string;
  parentHash: string;
  timestamp: string;
  transactions?: (RawTransaction | string)[];
}
interface RawTransaction {
  hash: string;
  from: string;
  to: string | null;
  value: string;
}
interface RawReceipt {
  blockHash: string;
  status: string;
}
/** A log as `eth_getLogs` returns it. */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
}

function quantity(method: string, value: unknown): number {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value))
    throw new EvmRpcMalformedError(method, `not a quantity: ${String(value).slice(0, 20)}`);
  return Number(BigInt(value));
}

function headerOf(block: RawBlock): EvmBlockHeader {
  return {
    number: quantity('eth_getBlockByNumber', block.number),
    hash: block.hash,
    parentHash: block.parentHash,
    timestamp: quantity('eth_getBlockByNumber', block.timestamp),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let index = 0; index < items.length; index += size) result.push(items.slice(index, index + size));
  return result;
}

function isCallException(error: unknown): boolean {
  return isError(error, 'CALL_EXCEPTION') || /revert/i.test(String((error as Error | undefined)?.message));
}

/**
 * What `symbol()` returned, as 1–12 letters and digits, or `null`: an ABI string, or a bytes32
 * (some early tokens). Anything else is dropped rather than shown: the text comes from whoever
 * deployed the contract.
 */
export function claimedSymbol(result: string): string | null {
  let text: string;
  try {
    text =
      result.length === 66
        ? decodeBytes32String(result)
        : (AbiCoder.defaultAbiCoder().decode(['string'], result)[0] as string);
  } catch {
    return null;
  }
  const cleaned = text.replace(/[^A-Za-z0-9]/g, '').slice(0, 12);
  return cleaned.length > 0 ? cleaned : null;
}

/**
 * An ERC-20 `Transfer` log as a transfer, or `null` for what only looks like one: ERC-721 emits
 * the same topic0 with the token id as a fourth topic, and a log removed by a reorg never counts.
 * Zero-amount transfers are dropped too: anyone can emit them from anyone (address poisoning).
 */
export function tokenTransferOf(log: RawLog): EvmTokenTransfer | null {
  if (log.removed || log.topics.length !== 3 || log.topics[0]?.toLowerCase() !== TRANSFER_TOPIC) return null;
  if (!/^0x[0-9a-fA-F]{64}$/.test(log.data)) return null;
  const amount = BigInt(log.data);
  if (amount === 0n) return null;
  return {
    txHash: log.transactionHash,
    logIndex: quantity('eth_getLogs', log.logIndex),
    blockNumber: quantity('eth_getLogs', log.blockNumber),
    blockHash: log.blockHash,
    token: getAddress(log.address),
    from: topicAddress(log.topics[1]!),
    to: topicAddress(log.topics[2]!),
    amount,
  };
}

function topicAddress(topic: string): string {
  return getAddress(`0x${topic.slice(-40)}`);
}

async function call<T>(method: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new EvmRpcError(method, { cause: error });
  }
}
