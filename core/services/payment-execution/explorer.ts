/**
 * Links to a transaction on a public block explorer, for the payer's status message. Telegram
 * accepts only http(s) and tg:// links, so anything else is dropped rather than sent.
 */
import type { ChainName } from '../../ports.ts';

/** Explorers of well-known EVM chains, by chain id. */
const EVM_EXPLORERS: Readonly<Record<number, string>> = {
  1: 'https://etherscan.io',
  10: 'https://optimistic.etherscan.io',
  56: 'https://bscscan.com',
  137: 'https://polygonscan.com',
  8453: 'https://basescan.org',
  17000: 'https://holesky.etherscan.io',
  42161: 'https://arbiscan.io',
  84532: 'https://sepolia.basescan.org',
  11155111: 'https://sepolia.etherscan.io',
};

/** Where the platform's chains are and which explorers show them. */
export interface ExplorerSettings {
  /** Stellar networks other than testnet and public have no public explorer. */
  stellarNetwork: 'testnet' | 'public' | 'custom';
  evmChainId: number;
  /** An explorer base URL for the EVM chain (e.g. `https://explorer.example/`); overrides the known ones. */
  evmExplorerUrl?: string | undefined;
}

function httpBase(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
    return parsed.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** The explorer page of a transaction, or `null` when no explorer is known for the network. */
export function transactionExplorerUrl(
  chain: ChainName,
  txHash: string,
  settings: ExplorerSettings,
): string | null {
  if (chain === 'STELLAR') {
    if (!/^[0-9a-f]{64}$/i.test(txHash) || settings.stellarNetwork === 'custom') return null;
    return `https://stellar.expert/explorer/${settings.stellarNetwork}/tx/${txHash.toLowerCase()}`;
  }
  if (!/^0x[0-9a-f]{64}$/i.test(txHash)) return null;
  const base = httpBase(settings.evmExplorerUrl) ?? EVM_EXPLORERS[settings.evmChainId];
  return base ? `${base}/tx/${txHash.toLowerCase()}` : null;
}
