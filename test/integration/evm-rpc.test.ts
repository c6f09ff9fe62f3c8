import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EvmChainMismatchError,
  EvmRpcError,
  InvalidEvmAddressError,
  createEvmNetwork,
  type EvmRpcNetwork,
} from '../../core/adapters/evm-rpc.ts';
import { startAnvil, type AnvilNode } from '../support/anvil.ts';

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
  anvil = await startAnvil({ chainId: CHAIN_ID });
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
