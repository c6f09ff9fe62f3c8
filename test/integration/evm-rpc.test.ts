import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EvmChainMismatchError,
  EvmRpcError,
  EvmTokenCallError,
  InvalidEvmAddressError,
  createEvmNetwork,
  type EvmRpcNetwork,
} from '../../core/adapters/evm-rpc.ts';
import { startAnvil, type AnvilNode } from '../support/anvil.ts';
import { deployTestToken, testTokenArtifact, type TestToken } from '../support/erc20.ts';
import { blockNumber, fundedWallet, mine } from '../support/evm-chain.ts';

const CHAIN_ID = 31_338;
let anvil: AnvilNode;
let evm: EvmRpcNetwork;

async function rpc(method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(anvil.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: unknown };
  if (body.error) throw new Error(JSON.stringify(body.error));
  return body.result;
}

beforeAll(async () => {
  const starting = startAnvil({ chainId: CHAIN_ID });
  // Compiling the test token takes about a second of CPU; do it while anvil boots.
  testTokenArtifact();
  anvil = await starting;
  evm = createEvmNetwork({ rpcUrl: anvil.url, chainId: CHAIN_ID });
});
afterAll(async () => {
  evm?.destroy();
  await anvil?.stop();
});

describe('createEvmNetwork against anvil', () => {
  it('reads a native balance exactly, beyond what a float can hold', async () => {
    const address = Wallet.createRandom().address;
    const wei = 123_456_789_012_345_678_901_234_567n;
    await rpc('anvil_setBalance', [address, `0x${wei.toString(16)}`]);

    expect(await evm.getNativeBalance(address)).toBe(wei);
  });

  it('sees a change made right after a read (no response cache)', async () => {
    const address = Wallet.createRandom().address;
    expect(await evm.getNativeBalance(address)).toBe(0n);
    await rpc('anvil_setBalance', [address, '0x1']);
    expect(await evm.getNativeBalance(address)).toBe(1n);
  });

  it('accepts a lower-case address', async () => {
    const address = Wallet.createRandom().address.toLowerCase();
    await rpc('anvil_setBalance', [address, '0x2a']);
    expect(await evm.getNativeBalance(address)).toBe(42n);
  });

  it('refuses something that is not an address, before any request', async () => {
    await expect(evm.getNativeBalance('vitalik.eth')).rejects.toBeInstanceOf(InvalidEvmAddressError);
  });

  it('refuses to read from a node that serves another chain', async () => {
    const misconfigured = createEvmNetwork({ rpcUrl: anvil.url, chainId: 1 });
    try {
      const error = await misconfigured
        .getNativeBalance(Wallet.createRandom().address)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(EvmChainMismatchError);
      expect(error).toMatchObject({
        code: 'EVM_CHAIN_MISMATCH',
        fields: { expectedChainId: 1, actualChainId: CHAIN_ID },
      });
    } finally {
      misconfigured.destroy();
    }
  });

  it('raises a retryable EvmRpcError when the node is gone', async () => {
    const other = await startAnvil({ chainId: CHAIN_ID });
    const network = createEvmNetwork({ rpcUrl: other.url, chainId: CHAIN_ID, timeoutMs: 2_000 });
    try {
      await other.stop();
      const error = await network
        .getNativeBalance(Wallet.createRandom().address)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(EvmRpcError);
      expect(error).toMatchObject({ code: 'EVM_RPC_UNAVAILABLE', retryable: true });
    } finally {
      network.destroy();
    }
  });
});

describe('the reading side for payments and the deposit watcher', () => {
  let owner: Wallet;
  let usdc: TestToken;
  let lookAlike: TestToken;

  beforeAll(async () => {
    owner = await fundedWallet(anvil.url);
    usdc = await deployTestToken(anvil.url, owner.privateKey, { symbol: 'USDC', decimals: 6 });
    lookAlike = await deployTestToken(anvil.url, owner.privateKey, { symbol: 'USDC', decimals: 6 });
  });

  it('reads an ERC-20 balance exactly, beyond what a float can hold', async () => {
    const holder = Wallet.createRandom().address;
    const amount = 98_765_432_109_876_543_210_987n;
    await usdc.mint(holder, amount);

    expect(await evm.getTokenBalance(usdc.address, holder)).toBe(amount);
    expect(await evm.getTokenBalance(lookAlike.address, holder)).toBe(0n);
  });

  it('refuses a token address where no contract lives', async () => {
    const nowhere = Wallet.createRandom().address;
    const error = await evm.getTokenBalance(nowhere, owner.address).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EvmTokenCallError);
    expect(error).toMatchObject({ code: 'EVM_TOKEN_CALL_FAILED' });
    await expect(evm.getTokenBalance('USDC', owner.address)).rejects.toBeInstanceOf(InvalidEvmAddressError);
  });

  it('gives EIP-1559 fee data in wei, the cap above the tip', async () => {
    const fees = await evm.feeData();
    expect(typeof fees.maxFeePerGas).toBe('bigint');
    expect(fees.maxPriorityFeePerGas).toBeGreaterThan(0n);
    expect(fees.maxFeePerGas).toBeGreaterThanOrEqual(fees.maxPriorityFeePerGas);
  });

  it('reads block headers that link to their parents', async () => {
    await mine(anvil.url, 2);
    const head = await evm.latestBlockNumber();
    expect(head).toBe(await blockNumber(anvil.url));
    const [parent, child] = await Promise.all([evm.getBlockHeader(head - 1), evm.getBlockHeader(head)]);
    expect(child!.parentHash).toBe(parent!.hash);
    expect(child!.timestamp).toBeGreaterThanOrEqual(parent!.timestamp);
    expect(await evm.getBlockHeader(head + 10)).toBeNull();
  });

  it('finds successful native transfers to watched addresses only', async () => {
    const provider = new JsonRpcProvider(anvil.url, CHAIN_ID, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const watched = Wallet.createRandom().address;
      const other = Wallet.createRandom().address;
      const sender = owner.connect(provider);
      const sent = await (await sender.sendTransaction({ to: watched, value: parseEther('1.5') })).wait();
      await (await sender.sendTransaction({ to: other, value: 1n })).wait();

      const scan = await evm.scanBlock(sent!.blockNumber, new Set([watched.toLowerCase()]));
      expect(scan!.header).toMatchObject({ number: sent!.blockNumber, hash: sent!.blockHash });
      expect(scan!.nativeTransfers).toEqual([
        { txHash: sent!.hash, from: owner.address, to: watched, value: parseEther('1.5') },
      ]);
      const next = await evm.scanBlock(sent!.blockNumber + 1, new Set([watched.toLowerCase()]));
      expect(next!.nativeTransfers).toEqual([]);
    } finally {
      provider.destroy();
    }
  });

  it('finds Transfer logs to watched addresses from any contract, look-alikes included', async () => {
    const watched = [Wallet.createRandom().address, Wallet.createRandom().address];
    const first = await evm.latestBlockNumber();
    await usdc.mint(watched[0]!, 5_000_000n);
    await lookAlike.mint(watched[1]!, 5_000_000n);
    await usdc.mint(Wallet.createRandom().address, 7n);
    const last = await evm.latestBlockNumber();

    const transfers = await evm.getTokenTransfers(first, last, watched);
    expect(transfers.map((transfer) => [transfer.token, transfer.to, transfer.amount])).toEqual([
      [usdc.address, watched[0], 5_000_000n],
      [lookAlike.address, watched[1], 5_000_000n],
    ]);
    expect(transfers[0]).toMatchObject({ from: '0x0000000000000000000000000000000000000000', logIndex: 0 });
  });

  it('gives the same logs in small chunks of blocks and addresses, and unfiltered', async () => {
    const recipients = Array.from({ length: 5 }, () => Wallet.createRandom().address);
    const first = (await evm.latestBlockNumber()) + 1;
    for (const recipient of recipients) await usdc.mint(recipient, 1n);
    const last = await evm.latestBlockNumber();
    const chunked = createEvmNetwork({
      rpcUrl: anvil.url,
      chainId: CHAIN_ID,
      maxLogBlockRange: 2,
      maxLogAddresses: 2,
    });
    const unfiltered = createEvmNetwork({ rpcUrl: anvil.url, chainId: CHAIN_ID, unfilteredLogsAbove: 1 });
    try {
      const whole = await evm.getTokenTransfers(first, last, recipients);
      expect(whole).toHaveLength(5);
      expect(await chunked.getTokenTransfers(first, last, recipients)).toEqual(whole);
      expect(await unfiltered.getTokenTransfers(first, last, recipients)).toEqual(whole);
    } finally {
      chunked.destroy();
      unfiltered.destroy();
    }
  });

  it('reads what a contract claims to be, and nothing from an address that is not one', async () => {
    expect(await evm.tokenSymbol(lookAlike.address)).toBe('USDC');
    expect(await evm.tokenSymbol(Wallet.createRandom().address)).toBeNull();
  });
});
