/**
 * Steering a test chain (anvil) through its JSON-RPC: funding fresh keys, mining, snapshots and
 * forced reorganizations. Tests generate their own keys; anvil's well-known dev accounts are not used.
 */
import { Wallet } from 'ethers';

/** One JSON-RPC call; a node error is thrown with its message. */
export async function rpcCall(url: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message ?? JSON.stringify(body.error)}`);
  return body.result;
}

const hex = (value: bigint | number) => `0x${value.toString(16)}`;

/** A fresh random key whose account holds `wei` (default 100 ETH); returns the wallet. */
export async function fundedWallet(url: string, wei = 100n * 10n ** 18n): Promise<Wallet> {
  const wallet = new Wallet(Wallet.createRandom().privateKey);
  await rpcCall(url, 'anvil_setBalance', [wallet.address, hex(wei)]);
  return wallet;
}

/** Mines `blocks` empty blocks (anvil_mine). */
export async function mine(url: string, blocks = 1): Promise<void> {
  await rpcCall(url, 'anvil_mine', [hex(blocks)]);
}

/** The latest block number. */
export async function blockNumber(url: string): Promise<number> {
  return Number(BigInt((await rpcCall(url, 'eth_blockNumber', [])) as string));
}

/** The hash of block `number` on the node's current chain, or `null` past its head. */
export async function blockHash(url: string, number: number): Promise<string | null> {
  const block = (await rpcCall(url, 'eth_getBlockByNumber', [hex(number), false])) as { hash: string } | null;
  return block?.hash ?? null;
}

/** Takes a snapshot of the chain (evm_snapshot); {@link revertTo} returns to it. */
export async function snapshot(url: string): Promise<string> {
  return (await rpcCall(url, 'evm_snapshot', [])) as string;
}

/** Drops every block after the snapshot (evm_revert); their transactions are gone with them. */
export async function revertTo(url: string, id: string): Promise<void> {
  if ((await rpcCall(url, 'evm_revert', [id])) !== true) throw new Error(`evm_revert ${id} refused`);
}

/**
 * Replaces the last `depth` blocks with `depth` new ones (anvil_reorg). Their transactions vanish
 * unless listed in `replay` as [raw signed transaction, offset of the new block it goes into].
 */
export async function reorg(url: string, depth: number, replay: [string, number][] = []): Promise<void> {
  await rpcCall(url, 'anvil_reorg', [depth, replay]);
}

/** Sends an already signed raw transaction; returns its hash (mined at once under automine). */
export async function sendRaw(url: string, rawTransaction: string): Promise<string> {
  return (await rpcCall(url, 'eth_sendRawTransaction', [rawTransaction])) as string;
}
