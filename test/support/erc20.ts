/**
 * A real ERC-20 on anvil for tests: contracts/TestToken.sol compiled with the `solc` npm package
 * (offline, once per process; the artifact is kept in memory) and deployed with ethers. The deployer
 * is the token's owner and the only one who may mint.
 *
 * Transactions from one key must be sent one after the other (await each call): ethers reads the
 * next nonce from the node, and two calls in flight from the same key would pick the same one.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import solc from 'solc';
import { Contract, ContractFactory, JsonRpcProvider, Wallet, getAddress, type InterfaceAbi } from 'ethers';
import { rpcCall } from './evm-chain.ts';

const SOURCE_PATH = fileURLToPath(new URL('../../contracts/TestToken.sol', import.meta.url));

/** ABI and creation bytecode of contracts/TestToken.sol. */
export interface TestTokenArtifact {
  abi: InterfaceAbi;
  bytecode: string;
}

/** Where a transaction the helper sent landed. */
export interface SentTransaction {
  hash: string;
  blockNumber: number;
  blockHash: string;
}

/** Options of {@link deployTestToken}. */
export interface TestTokenOptions {
  symbol: string;
  decimals: number;
  /** Defaults to `Test <symbol>`. */
  name?: string;
}

/** A deployed {@link TestTokenArtifact}. Amounts are base units. */
export interface TestToken {
  /** Checksummed contract address. */
  address: string;
  symbol: string;
  decimals: number;
  /** The owner (deployer) creates `amount` for `to`; emits `Transfer(0x0, to, amount)`. */
  mint(to: string, amount: bigint): Promise<SentTransaction>;
  /** `fromKey`'s account sends `amount` to `to`; emits `Transfer(from, to, amount)`. */
  transfer(fromKey: string, to: string, amount: bigint): Promise<SentTransaction>;
  /** `ownerKey`'s account lets `spender` move up to `amount` of its tokens. */
  approve(ownerKey: string, spender: string, amount: bigint): Promise<SentTransaction>;
  /** `spenderKey`'s account moves `amount` from `from` to `to` within its allowance. */
  transferFrom(spenderKey: string, from: string, to: string, amount: bigint): Promise<SentTransaction>;
  balanceOf(address: string): Promise<bigint>;
  /**
   * Signs a `transfer` without sending it: the raw transaction, for replaying it into another
   * chain branch (e.g. after `evm_revert`) with the same hash. Uses the account's next nonce.
   */
  signTransfer(fromKey: string, to: string, amount: bigint): Promise<string>;
}

let artifact: TestTokenArtifact | undefined;

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: InterfaceAbi; evm: { bytecode: { object: string } } }>>;
}

/**
 * Compiles contracts/TestToken.sol (about a second; once per process). The optimizer stays off:
 * it doubles compile time and gas does not matter on a test chain.
 */
export function testTokenArtifact(): TestTokenArtifact {
  if (artifact) return artifact;
  const input = {
    language: 'Solidity',
    sources: { 'TestToken.sol': { content: readFileSync(SOURCE_PATH, 'utf8') } },
    settings: {
      optimizer: { enabled: false },
      outputSelection: { 'TestToken.sol': { TestToken: ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as SolcOutput;
  const errors = (output.errors ?? []).filter((entry) => entry.severity === 'error');
  if (errors.length > 0)
    throw new Error(`TestToken.sol does not compile:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const compiled = output.contracts?.['TestToken.sol']?.['TestToken'];
  if (!compiled) throw new Error('solc produced no TestToken contract');
  artifact = { abi: compiled.abi, bytecode: `0x${compiled.evm.bytecode.object}` };
  return artifact;
}

/** Deploys a fresh {@link TestToken} from `deployerKey` (which needs gas money) and waits for it. */
export async function deployTestToken(
  rpcUrl: string,
  deployerKey: string,
  options: TestTokenOptions,
): Promise<TestToken> {
  const { abi, bytecode } = testTokenArtifact();
  // No response cache: against an automining node a cached nonce would be reused (FACTS.md).
  const chainId = Number(BigInt((await rpcCall(rpcUrl, 'eth_chainId', [])) as string));
  const provider = new JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true, cacheTimeout: -1 });
  const deployer = new Wallet(deployerKey, provider);
  const factory = new ContractFactory(abi, bytecode, deployer);
  const deployed = await factory.deploy(
    options.name ?? `Test ${options.symbol}`,
    options.symbol,
    options.decimals,
  );
  await deployed.waitForDeployment();
  const address = getAddress(await deployed.getAddress());
  const as = (key: string) => new Contract(address, abi, new Wallet(key, provider));
  const reader = new Contract(address, abi, provider);

  const sent = async (pending: Promise<{ wait(): Promise<unknown> }>): Promise<SentTransaction> => {
    const receipt = (await (await pending).wait()) as {
      hash: string;
      blockNumber: number;
      blockHash: string;
      status: number;
    };
    if (receipt.status !== 1) throw new Error(`token transaction ${receipt.hash} reverted`);
    return { hash: receipt.hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash };
  };

  return {
    address,
    symbol: options.symbol,
    decimals: options.decimals,
    mint: (to, amount) => sent(as(deployerKey).getFunction('mint')(to, amount)),
    transfer: (fromKey, to, amount) => sent(as(fromKey).getFunction('transfer')(to, amount)),
    approve: (ownerKey, spender, amount) => sent(as(ownerKey).getFunction('approve')(spender, amount)),
    transferFrom: (spenderKey, from, to, amount) =>
      sent(as(spenderKey).getFunction('transferFrom')(from, to, amount)),
    balanceOf: async (owner) => (await reader.getFunction('balanceOf')(owner)) as bigint,
    async signTransfer(fromKey, to, amount) {
      const signer = new Wallet(fromKey, provider);
      const request = await as(fromKey).getFunction('transfer').populateTransaction(to, amount);
      return signer.signTransaction(await signer.populateTransaction(request));
    },
  };
}
