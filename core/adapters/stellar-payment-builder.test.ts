import { Account, Keypair, MuxedAccount, TransactionBuilder, type Transaction } from '@stellar/stellar-sdk';
import { describe, expect, it } from 'vitest';
import { envelopeFacts } from '../services/payment-execution/stellar-envelope.ts';
import { buildStellarPayment, type StellarPaymentInput } from './stellar-payment-builder.ts';

const passphrase = 'Test SDF Network ; September 2015';
const source = Keypair.random().publicKey();
const issuer = Keypair.random().publicKey();
const destination = Keypair.random().publicKey();
const now = () => 1_700_000_000_000;

const input = (overrides: Partial<StellarPaymentInput> = {}): StellarPaymentInput => ({
  sourceAddress: source,
  sequence: '41',
  destination,
  asset: { code: 'XLM', issuer: null },
  amount: 125_000_000n,
  memo: null,
  baseFee: 100,
  timeoutSeconds: 60,
  passphrase,
  now,
  ...overrides,
});

const decode = (xdr: string) => TransactionBuilder.fromXDR(xdr, passphrase) as Transaction;

describe('building a Stellar payment', () => {
  it('pays the exact amount at the next sequence, valid until now plus the timeout', () => {
    const built = buildStellarPayment(input());
    const tx = decode(built.xdr);
    expect(tx.sequence).toBe('42');
    expect(tx.timeBounds).toEqual({ minTime: '0', maxTime: String(1_700_000_060) });
    expect(built.maxTime).toBe(1_700_000_060);
    expect(tx.operations).toEqual([
      expect.objectContaining({ type: 'payment', destination, amount: '12.5000000' }),
    ]);
    expect(built.hash).toBe(tx.hash().toString('hex'));
    expect(envelopeFacts(built.xdr)).toEqual({ sequence: 42n, maxTime: 1_700_000_060 });
  });

  it('pays a credit asset to a muxed address with an id memo', () => {
    const muxed = new MuxedAccount(new Account(destination, '0'), '9').accountId();
    const tx = decode(
      buildStellarPayment(
        input({ destination: muxed, asset: { code: 'USDC', issuer }, memo: { type: 'id', value: '123' } }),
      ).xdr,
    );
    const [operation] = tx.operations;
    expect(operation).toMatchObject({ destination: muxed });
    expect(operation?.type === 'payment' && operation.asset.getIssuer()).toBe(issuer);
    expect(tx.memo.type).toBe('id');
    expect(String(tx.memo.value)).toBe('123');
  });

  it('refuses a text memo over 28 bytes, counting bytes rather than characters', () => {
    expect(() => buildStellarPayment(input({ memo: { type: 'text', value: 'é'.repeat(15) } }))).toThrow(
      expect.objectContaining({ code: 'STELLAR_PAYMENT_INVALID', field: 'memo' }),
    );
    expect(() => buildStellarPayment(input({ memo: { type: 'text', value: 'é'.repeat(14) } }))).not.toThrow();
  });

  it('refuses a zero amount and an address that is neither G… nor M…', () => {
    expect(() => buildStellarPayment(input({ amount: 0n }))).toThrow(
      expect.objectContaining({ field: 'amount' }),
    );
    expect(() =>
      buildStellarPayment(input({ destination: '0x0000000000000000000000000000000000000000' })),
    ).toThrow(expect.objectContaining({ field: 'destination' }));
  });
});
