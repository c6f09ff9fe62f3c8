import { describe, expect, it } from 'vitest';
import { MAX_STROOPS, MAX_UINT256 } from '../domain/amounts.ts';
import {
  InvalidMemoError,
  amountUnitOf,
  parsePaymentDraft,
  parseStellarMemo,
  paymentOrderOf,
  serializePaymentDraft,
  type PaymentDraft,
} from './send-validation.ts';

const TOKEN = { symbol: 'USDC', address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', decimals: 6 };

describe('parseStellarMemo', () => {
  it('makes a memo ID of a plain number that fits 64 bits', () => {
    expect(parseStellarMemo('123456')).toEqual({ type: 'id', value: '123456' });
    expect(parseStellarMemo(' 18446744073709551615 ')).toEqual({ type: 'id', value: '18446744073709551615' });
  });

  it('keeps text, leading zeros and numbers past 64 bits as a text memo', () => {
    expect(parseStellarMemo('coffee beans')).toEqual({ type: 'text', value: 'coffee beans' });
    expect(parseStellarMemo('007')).toEqual({ type: 'text', value: '007' });
    expect(parseStellarMemo('18446744073709551616')).toEqual({ type: 'text', value: '18446744073709551616' });
  });

  it('counts bytes, not characters, against the 28-byte limit', () => {
    expect(parseStellarMemo('a'.repeat(28)).value).toHaveLength(28);
    expect(() => parseStellarMemo('a'.repeat(29))).toThrow(InvalidMemoError);
    // 14 two-byte characters fill the memo; one more does not fit.
    expect(parseStellarMemo('ñ'.repeat(14)).type).toBe('text');
    expect(() => parseStellarMemo('ñ'.repeat(15))).toThrow(InvalidMemoError);
  });
});

describe('amountUnitOf', () => {
  const evm = { evmChainId: 31337, evmTokens: [TOKEN] };

  it('counts Stellar assets in stroops, EVM coins in wei and tokens in their own decimals', () => {
    expect(amountUnitOf({ chain: 'STELLAR', code: 'XLM', issuer: null }, evm)).toEqual({
      decimals: 7,
      max: MAX_STROOPS,
      code: 'XLM',
    });
    expect(amountUnitOf({ chain: 'EVM', chainId: 31337, code: 'ETH', issuer: null }, evm)?.decimals).toBe(18);
    expect(
      amountUnitOf({ chain: 'EVM', chainId: 31337, code: 'X', issuer: TOKEN.address.toLowerCase() }, evm),
    ).toEqual({ decimals: 6, max: MAX_UINT256, code: 'USDC' });
  });

  it('knows no token outside the list and no other chain', () => {
    const stranger = '0x0000000000000000000000000000000000000001';
    expect(amountUnitOf({ chain: 'EVM', chainId: 31337, code: 'USDC', issuer: stranger }, evm)).toBeNull();
    expect(amountUnitOf({ chain: 'EVM', chainId: 1, code: 'ETH', issuer: null }, evm)).toBeNull();
  });
});

describe('a payment draft', () => {
  const draft: PaymentDraft = {
    userId: 42n,
    walletId: '0b7f3f0e-6c8e-4d43-9b47-5f1b8a0a2c11',
    sourceAddress: '0x1111111111111111111111111111111111111111',
    asset: { chain: 'EVM', chainId: 31337, code: 'USDC', issuer: TOKEN.address },
    decimals: 6,
    amountBase: MAX_UINT256,
    destination: '0x2222222222222222222222222222222222222222',
    recipientUserId: 7n,
    recipientUsername: 'alice',
    memo: null,
    invoiceId: null,
    fee: { amountBase: 2_100_000_000_000_000n, code: 'ETH', decimals: 18 },
  };

  it('survives JSON exactly, bigints included', () => {
    const stored = JSON.parse(JSON.stringify(serializePaymentDraft(draft))) as unknown;
    expect(parsePaymentDraft(stored)).toEqual(draft);
  });

  it('refuses a stored payload that is not a draft', () => {
    const stored = serializePaymentDraft(draft);
    expect(() => parsePaymentDraft({ ...stored, amountBase: '-5' })).toThrow();
    expect(() => parsePaymentDraft({ ...stored, asset: { chain: 'BTC' } })).toThrow();
    expect(() => parsePaymentDraft(null)).toThrow();
  });

  it('becomes the order the worker executes once the Confirm press names its key and message', () => {
    const order = paymentOrderOf(draft, { key: 'pay-abc', statusChatId: 5n, statusMessageId: 9 });
    expect(order).toEqual({
      key: 'pay-abc',
      userId: 42n,
      walletId: draft.walletId,
      asset: draft.asset,
      amountBase: MAX_UINT256,
      destination: draft.destination,
      recipientUserId: 7n,
      memo: null,
      invoiceId: null,
      statusChatId: 5n,
      statusMessageId: 9,
    });
  });
});
