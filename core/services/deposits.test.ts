import { Account, Keypair, MuxedAccount } from '@stellar/stellar-sdk';
import { describe, expect, it } from 'vitest';
import {
  explainEvmPayment,
  judgeStellarPayment,
  storedAddressOf,
  type DepositObservation,
  type InvoiceCandidate,
} from './deposits.ts';

const PAYEE = Keypair.random().publicKey();
const ISSUER = Keypair.random().publicKey();
const OTHER_ISSUER = Keypair.random().publicKey();
const NOW = new Date('2026-01-10T12:00:00Z');
const LATER = new Date('2026-01-11T12:00:00Z');

function invoice(overrides: Partial<InvoiceCandidate> = {}): InvoiceCandidate {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    payeeUserId: 1n,
    rail: 'STELLAR',
    chainId: null,
    assetCode: 'USDC',
    assetIssuer: ISSUER,
    amountBase: 100_000_000n,
    payeeAddress: PAYEE,
    memoId: 7n,
    status: 'OPEN',
    expiresAt: LATER,
    settlementRef: null,
    createdAt: NOW,
    ...overrides,
  };
}

function payment(
  overrides: Partial<DepositObservation> = {},
): Pick<
  DepositObservation,
  'toAddress' | 'assetCode' | 'assetIssuer' | 'amountBase' | 'occurredAt' | 'eventKey'
> {
  return {
    eventKey: 'stellar:1',
    toAddress: PAYEE,
    assetCode: 'USDC',
    assetIssuer: ISSUER,
    amountBase: 100_000_000n,
    occurredAt: NOW,
    ...overrides,
  };
}

describe('judgeStellarPayment', () => {
  it('settles an open invoice paid in full, or more, in its asset before it expires', () => {
    expect(judgeStellarPayment(payment(), invoice())).toBe('settle');
    expect(judgeStellarPayment(payment({ amountBase: 100_000_001n }), invoice())).toBe('settle');
  });

  it('does not settle a short payment', () => {
    expect(judgeStellarPayment(payment({ amountBase: 99_999_999n }), invoice())).toBe('short');
  });

  it('refuses the same code from another issuer, and lumens for an issued asset', () => {
    expect(judgeStellarPayment(payment({ assetIssuer: OTHER_ISSUER }), invoice())).toBe('wrong-asset');
    expect(judgeStellarPayment(payment({ assetCode: 'XLM', assetIssuer: null }), invoice())).toBe(
      'wrong-asset',
    );
  });

  it('refuses an invoice that had expired when the payment landed, even if recorded earlier than that', () => {
    expect(judgeStellarPayment(payment({ occurredAt: LATER }), invoice())).toBe('expired');
  });

  it('still settles an invoice the expiry job closed after a payment that landed in time', () => {
    expect(judgeStellarPayment(payment(), invoice({ status: 'EXPIRED' }))).toBe('settle');
  });

  it('refuses cancelled and already-paid invoices, whatever was sent', () => {
    expect(judgeStellarPayment(payment(), invoice({ status: 'CANCELLED' }))).toBe('cancelled');
    expect(judgeStellarPayment(payment(), invoice({ status: 'PAID', settlementRef: 'stellar:0' }))).toBe(
      'already-paid',
    );
    expect(judgeStellarPayment(payment({ amountBase: 1n }), invoice({ status: 'PAID' }))).toBe(
      'already-paid',
    );
  });

  it('recognizes the payment that settled the invoice as paid', () => {
    expect(judgeStellarPayment(payment(), invoice({ status: 'PAID', settlementRef: 'stellar:1' }))).toBe(
      'paid',
    );
  });

  it('refuses a memo naming an invoice payable to another address', () => {
    expect(judgeStellarPayment(payment({ toAddress: Keypair.random().publicKey() }), invoice())).toBe(
      'wrong-destination',
    );
  });

  it('refuses a Stellar payment naming an invoice of another rail', () => {
    expect(judgeStellarPayment(payment(), invoice({ rail: 'EVM', chainId: 1 }))).toBe('wrong-asset');
  });
});

const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const OTHER_TOKEN = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512';

function evmInvoice(overrides: Partial<InvoiceCandidate> = {}): InvoiceCandidate {
  return invoice({
    rail: 'EVM',
    chainId: 31337,
    assetCode: 'USDC',
    assetIssuer: TOKEN,
    amountBase: 10_000_000n,
    ...overrides,
  });
}

describe('explainEvmPayment', () => {
  const deposit = { assetIssuer: TOKEN.toLowerCase(), amountBase: 5_000_000n, occurredAt: NOW };

  it('names the smallest open invoice in the same token that the payment falls short of', () => {
    const small = evmInvoice({ id: 'small', amountBase: 8_000_000n });
    const big = evmInvoice({ id: 'big', amountBase: 20_000_000n });
    expect(explainEvmPayment(deposit, [big, small])).toEqual({ invoice: small, outcome: 'short' });
  });

  it('calls the exact amount of an open invoice in another token the wrong asset', () => {
    const other = evmInvoice({ assetIssuer: OTHER_TOKEN, amountBase: 5_000_000n });
    expect(explainEvmPayment(deposit, [other])).toEqual({ invoice: other, outcome: 'wrong-asset' });
    const native = evmInvoice({ assetIssuer: null, assetCode: 'ETH', amountBase: 5_000_000n });
    expect(explainEvmPayment(deposit, [native])?.outcome).toBe('wrong-asset');
  });

  it('explains exactly the token and amount of a closed invoice by how it closed', () => {
    const closed = (status: InvoiceCandidate['status']) => evmInvoice({ status, amountBase: 5_000_000n });
    expect(explainEvmPayment(deposit, [closed('PAID')])?.outcome).toBe('already-paid');
    expect(explainEvmPayment(deposit, [closed('CANCELLED')])?.outcome).toBe('cancelled');
    expect(explainEvmPayment(deposit, [closed('EXPIRED')])?.outcome).toBe('expired');
    const lapsed = evmInvoice({ amountBase: 5_000_000n, expiresAt: new Date(NOW.getTime() - 1) });
    expect(explainEvmPayment(deposit, [lapsed])?.outcome).toBe('expired');
  });

  it('leaves a payment that resembles no invoice a plain deposit', () => {
    expect(explainEvmPayment(deposit, [])).toBeNull();
    expect(explainEvmPayment(deposit, [evmInvoice({ amountBase: 1_000_000n })])).toBeNull();
  });
});

describe('storedAddressOf', () => {
  it('resolves a muxed Stellar address to its base account', () => {
    const muxed = new MuxedAccount(new Account(PAYEE, '0'), '99').accountId();
    expect(storedAddressOf('STELLAR', muxed)).toBe(PAYEE);
    expect(storedAddressOf('STELLAR', PAYEE)).toBe(PAYEE);
  });

  it('checksums EVM addresses and rejects what is not an address', () => {
    expect(storedAddressOf('EVM', TOKEN.toLowerCase())).toBe(TOKEN);
    expect(storedAddressOf('EVM', 'G123')).toBeNull();
    expect(storedAddressOf('STELLAR', TOKEN)).toBeNull();
  });
});
