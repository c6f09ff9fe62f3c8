import { describe, expect, it } from 'vitest';
import { transactionExplorerUrl } from './explorer.ts';

const stellarHash = 'AB'.repeat(32);
const evmHash = `0x${'cd'.repeat(32)}`;

describe('transaction explorer links', () => {
  it('point Stellar testnet and public transactions at stellar.expert', () => {
    expect(transactionExplorerUrl('STELLAR', stellarHash, { stellarNetwork: 'testnet', evmChainId: 1 })).toBe(
      `https://stellar.expert/explorer/testnet/tx/${'ab'.repeat(32)}`,
    );
    expect(transactionExplorerUrl('STELLAR', stellarHash, { stellarNetwork: 'public', evmChainId: 1 })).toBe(
      `https://stellar.expert/explorer/public/tx/${'ab'.repeat(32)}`,
    );
  });

  it('leave custom Stellar networks without a link', () => {
    expect(
      transactionExplorerUrl('STELLAR', stellarHash, { stellarNetwork: 'custom', evmChainId: 1 }),
    ).toBeNull();
  });

  it('know the explorers of well-known EVM chains and none for a local one', () => {
    const settings = { stellarNetwork: 'custom' } as const;
    expect(transactionExplorerUrl('EVM', evmHash, { ...settings, evmChainId: 11155111 })).toBe(
      `https://sepolia.etherscan.io/tx/${evmHash}`,
    );
    expect(transactionExplorerUrl('EVM', evmHash, { ...settings, evmChainId: 31337 })).toBeNull();
  });

  it('prefer a configured EVM explorer, but only an http(s) one', () => {
    const settings = { stellarNetwork: 'custom', evmChainId: 1 } as const;
    expect(
      transactionExplorerUrl('EVM', evmHash, { ...settings, evmExplorerUrl: 'https://scan.example/chain/' }),
    ).toBe(`https://scan.example/chain/tx/${evmHash}`);
    expect(
      transactionExplorerUrl('EVM', evmHash, { ...settings, evmExplorerUrl: 'javascript:alert(1)' }),
    ).toBe(`https://etherscan.io/tx/${evmHash}`);
  });

  it('refuse anything that is not a transaction hash of the chain', () => {
    const settings = { stellarNetwork: 'public', evmChainId: 1 } as const;
    expect(transactionExplorerUrl('STELLAR', '../../admin', settings)).toBeNull();
    expect(transactionExplorerUrl('EVM', stellarHash, settings)).toBeNull();
  });
});
