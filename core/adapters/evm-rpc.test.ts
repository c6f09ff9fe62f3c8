import { AbiCoder, Wallet, encodeBytes32String, toBeHex, zeroPadValue } from 'ethers';
import { describe, expect, it } from 'vitest';
import { TRANSFER_TOPIC, claimedSymbol, tokenTransferOf, type RawLog } from './evm-rpc.ts';

const token = Wallet.createRandom().address;
const from = Wallet.createRandom().address;
const to = Wallet.createRandom().address;
const topic = (address: string) => zeroPadValue(address, 32).toLowerCase();

function transferLog(overrides: Partial<RawLog> = {}): RawLog {
  return {
    address: token.toLowerCase(),
    topics: [TRANSFER_TOPIC, topic(from), topic(to)],
    data: zeroPadValue(toBeHex(1_500_000n), 32),
    blockNumber: '0x10',
    blockHash: `0x${'ab'.repeat(32)}`,
    transactionHash: `0x${'cd'.repeat(32)}`,
    logIndex: '0x3',
    ...overrides,
  };
}

describe('tokenTransferOf', () => {
  it('reads an ERC-20 Transfer log with checksummed addresses and an exact amount', () => {
    expect(tokenTransferOf(transferLog())).toEqual({
      txHash: `0x${'cd'.repeat(32)}`,
      logIndex: 3,
      blockNumber: 16,
      blockHash: `0x${'ab'.repeat(32)}`,
      token,
      from,
      to,
      amount: 1_500_000n,
    });
  });

  it('keeps amounts beyond what a float can hold', () => {
    const amount = 2n ** 255n + 1n;
    expect(tokenTransferOf(transferLog({ data: zeroPadValue(toBeHex(amount), 32) }))?.amount).toBe(amount);
  });

  it('skips an ERC-721 Transfer, which carries the token id as a fourth topic', () => {
    const nft = transferLog({
      topics: [TRANSFER_TOPIC, topic(from), topic(to), topic(toBeHex(7n, 20))],
      data: '0x',
    });
    expect(tokenTransferOf(nft)).toBeNull();
  });

  it('skips a log a reorg removed, a zero-amount transfer and another event', () => {
    expect(tokenTransferOf(transferLog({ removed: true }))).toBeNull();
    expect(tokenTransferOf(transferLog({ data: zeroPadValue('0x00', 32) }))).toBeNull();
    const approval = transferLog({ topics: [`0x${'8c'.repeat(32)}`, topic(from), topic(to)] });
    expect(tokenTransferOf(approval)).toBeNull();
  });
});

describe('claimedSymbol', () => {
  const abiString = (text: string) => AbiCoder.defaultAbiCoder().encode(['string'], [text]);

  it('reads an ABI string and a bytes32 symbol', () => {
    expect(claimedSymbol(abiString('USDC'))).toBe('USDC');
    expect(claimedSymbol(encodeBytes32String('MKR'))).toBe('MKR');
  });

  it('keeps only letters and digits, at most 12, of what a contract claims', () => {
    expect(claimedSymbol(abiString('US\u200bDC <b>'))).toBe('USDCb');
    expect(claimedSymbol(abiString('A'.repeat(40)))).toBe('A'.repeat(12));
  });

  it('gives nothing for an empty answer, garbage or a symbol with no usable character', () => {
    expect(claimedSymbol('0x')).toBeNull();
    expect(claimedSymbol('0x1234')).toBeNull();
    expect(claimedSymbol(abiString('💵'))).toBeNull();
  });
});
