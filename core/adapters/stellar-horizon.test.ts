import { describe, expect, it } from 'vitest';
import {
  accountStateOf,
  feeQuoteOf,
  parsePaymentRecord,
  StellarHorizonError,
  StellarRecordInvalidError,
} from './stellar-horizon.ts';

// Records in the shape pubnet Horizon (v2.x/v22+) serves from `/payments?join=transactions`; links
// trimmed. Accounts and hashes are real-looking but arbitrary.
const SENDER = 'GCXKG6RN4ONIEPCMNFB732A436Z5PNDSRLGWK7GBLCMQLIFO4S7EYWVU';
const RECEIVER = 'GAIH3ULLFQ4DGSECF2AR555KZ4KNDGEKN4AFI4SU2M7B43MGK3QJZNSR';
const ISSUER = 'GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN';
const LOOKALIKE_ISSUER = 'GDRHN3S2SPMLQLCTMACKDYHQUDCTWJ4QN6DOTLUWPWYDSU6BXJ4HCP6J';
const MUXED = 'MAIH3ULLFQ4DGSECF2AR555KZ4KNDGEKN4AFI4SU2M7B43MGK3QJYAAAAAAAAAAAAGEXY';
const HASH = '3389e9f0f1a65f19736cacf544c2e825313e8447f569233bb8db39aa607c8889';

const links = {
  self: { href: 'https://horizon.stellar.org/operations/200070919656321025' },
  transaction: { href: `https://horizon.stellar.org/transactions/${HASH}` },
};

function joinedTransaction(memo: { memo_type: string; memo?: string }, successful = true) {
  return {
    _links: { self: { href: `https://horizon.stellar.org/transactions/${HASH}` } },
    id: HASH,
    paging_token: '200070919656321024',
    successful,
    hash: HASH,
    ledger: 46582641,
    created_at: '2023-06-01T10:15:07Z',
    source_account: SENDER,
    source_account_sequence: '152343095347642369',
    fee_account: SENDER,
    fee_charged: '100',
    max_fee: '100',
    operation_count: 1,
    envelope_xdr: 'AAAAAg==',
    result_xdr: 'AAAAAAAAAGQAAAAAAAAAAQAAAAAAAAABAAAAAAAAAAA=',
    fee_meta_xdr: 'AAAAAg==',
    ...memo,
    signatures: ['c2lnbmF0dXJl'],
    valid_after: '1970-01-01T00:00:00Z',
    preconditions: { timebounds: { min_time: '0' } },
  };
}

function paymentRecord(overrides: Record<string, unknown> = {}) {
  return {
    _links: links,
    id: '200070919656321025',
    paging_token: '200070919656321025',
    transaction_successful: true,
    source_account: SENDER,
    type: 'payment',
    type_i: 1,
    created_at: '2023-06-01T10:15:07Z',
    transaction_hash: HASH,
    asset_type: 'credit_alphanum4',
    asset_code: 'USDC',
    asset_issuer: ISSUER,
    from: SENDER,
    to: RECEIVER,
    amount: '12.5000000',
    ...overrides,
  };
}

describe('parsePaymentRecord', () => {
  it('reads a payment of an issued asset in stroops, with the ledger taken from the operation id', () => {
    const item = parsePaymentRecord(
      paymentRecord({ transaction: joinedTransaction({ memo_type: 'id', memo: '18446744073709551615' }) }),
    );
    expect(item).toEqual({
      pagingToken: '200070919656321025',
      ledger: 46582641,
      payment: {
        id: '200070919656321025',
        ledger: 46582641,
        kind: 'payment',
        transactionHash: HASH,
        createdAt: new Date('2023-06-01T10:15:07Z'),
        from: SENDER,
        to: RECEIVER,
        toMuxed: null,
        toMuxedId: null,
        assetCode: 'USDC',
        assetIssuer: ISSUER,
        amount: 125_000_000n,
        memo: { type: 'id', value: '18446744073709551615' },
      },
    });
  });

  it('reads lumens as XLM without an issuer', () => {
    const { payment } = parsePaymentRecord(
      paymentRecord({
        asset_type: 'native',
        asset_code: undefined,
        asset_issuer: undefined,
        amount: '0.0000001',
      }),
    );
    expect(payment).toMatchObject({ assetCode: 'XLM', assetIssuer: null, amount: 1n, memo: null });
  });

  it('credits a muxed destination to its base account and keeps the muxed id', () => {
    const { payment } = parsePaymentRecord(paymentRecord({ to_muxed: MUXED, to_muxed_id: '420' }));
    expect(payment).toMatchObject({ to: RECEIVER, toMuxed: MUXED, toMuxedId: '420' });
  });

  it('reads a muxed destination whose id Horizon omitted as id 0', () => {
    const { payment } = parsePaymentRecord(paymentRecord({ to_muxed: MUXED }));
    expect(payment).toMatchObject({ to: RECEIVER, toMuxedId: '0' });
  });

  it('counts the starting balance of create_account as a lumen deposit from the funder', () => {
    const { payment } = parsePaymentRecord({
      _links: links,
      id: '200070919656321026',
      paging_token: '200070919656321026',
      transaction_successful: true,
      source_account: SENDER,
      type: 'create_account',
      type_i: 0,
      created_at: '2023-06-01T10:15:07Z',
      transaction_hash: HASH,
      starting_balance: '2.0000000',
      funder: SENDER,
      account: RECEIVER,
      transaction: joinedTransaction({ memo_type: 'text', memo: 'welcome' }),
    });
    expect(payment).toMatchObject({
      kind: 'create_account',
      from: SENDER,
      to: RECEIVER,
      assetCode: 'XLM',
      assetIssuer: null,
      amount: 20_000_000n,
      memo: { type: 'text', value: 'welcome' },
    });
  });

  it('reads what the destination of a strict-send path payment received', () => {
    const { payment } = parsePaymentRecord(
      paymentRecord({
        type: 'path_payment_strict_send',
        type_i: 13,
        amount: '9.9000000',
        path: [],
        source_amount: '10.0000000',
        destination_min: '9.8000000',
        source_asset_type: 'native',
      }),
    );
    expect(payment).toMatchObject({
      kind: 'path_payment_strict_send',
      amount: 99_000_000n,
      assetCode: 'USDC',
    });
  });

  it('carries no payment for an operation of a failed transaction', () => {
    expect(parsePaymentRecord(paymentRecord({ transaction_successful: false })).payment).toBeNull();
    const joinedFailure = paymentRecord({ transaction: joinedTransaction({ memo_type: 'none' }, false) });
    delete (joinedFailure as { transaction_successful?: boolean }).transaction_successful;
    expect(parsePaymentRecord(joinedFailure).payment).toBeNull();
  });

  it('keeps the paging token of records that are not payments, such as account merges', () => {
    const item = parsePaymentRecord({
      _links: links,
      id: '200070919656321027',
      paging_token: '200070919656321027',
      transaction_successful: true,
      source_account: SENDER,
      type: 'account_merge',
      type_i: 8,
      created_at: '2023-06-01T10:15:07Z',
      transaction_hash: HASH,
      account: SENDER,
      into: RECEIVER,
    });
    expect(item).toEqual({ pagingToken: '200070919656321027', ledger: 46582641, payment: null });
  });

  it('distinguishes an issuer from its look-alike by the issuer, whatever the code', () => {
    const { payment } = parsePaymentRecord(paymentRecord({ asset_issuer: LOOKALIKE_ISSUER }));
    expect(payment).toMatchObject({ assetCode: 'USDC', assetIssuer: LOOKALIKE_ISSUER });
  });

  it('reads hash memos as Horizon prints them, in base64', () => {
    const memo = 'Pq3+7h6ZgkL4n5mkD1J2zLkUuYXf7y8ZBy3Y6bJZx2E=';
    const { payment } = parsePaymentRecord(
      paymentRecord({ transaction: joinedTransaction({ memo_type: 'hash', memo }) }),
    );
    expect(payment?.memo).toEqual({ type: 'hash', value: memo });
  });

  it('refuses a payment record it cannot read rather than skipping a deposit', () => {
    expect(() => parsePaymentRecord(paymentRecord({ amount: '12.50000001' }))).toThrow(
      StellarRecordInvalidError,
    );
    expect(() => parsePaymentRecord(paymentRecord({ asset_issuer: undefined }))).toThrow(
      StellarRecordInvalidError,
    );
    expect(() => parsePaymentRecord({ type: 'payment' })).toThrow(StellarRecordInvalidError);
  });
});

const RESERVE = 5_000_000n;

function account(overrides: Record<string, unknown> = {}) {
  return {
    id: RECEIVER,
    sequence: '152343095347642369',
    subentry_count: 0,
    num_sponsoring: 0,
    num_sponsored: 0,
    balances: [
      {
        balance: '100.0000000',
        limit: '922337203685.4775807',
        buying_liabilities: '0.0000000',
        selling_liabilities: '0.0000000',
        last_modified_ledger: 46582641,
        is_authorized: true,
        is_authorized_to_maintain_liabilities: true,
        asset_type: 'credit_alphanum4',
        asset_code: 'USDC',
        asset_issuer: ISSUER,
      },
      {
        balance: '25.5000000',
        buying_liabilities: '0.0000000',
        selling_liabilities: '0.0000000',
        asset_type: 'native',
      },
    ],
    data_attr: {},
    ...overrides,
  };
}

describe('accountStateOf', () => {
  it('keeps two base reserves for an account with no entries', () => {
    const state = accountStateOf(account(), RESERVE);
    expect(state.nativeBalance).toBe(255_000_000n);
    expect(state.minimumBalance).toBe(10_000_000n);
    expect(state.sequence).toBe('152343095347642369');
    expect(state.memoRequired).toBe(false);
  });

  it('adds a reserve per subentry and per entry it sponsors, and removes those sponsored for it', () => {
    expect(accountStateOf(account({ subentry_count: 3 }), RESERVE).minimumBalance).toBe(25_000_000n);
    expect(accountStateOf(account({ subentry_count: 1, num_sponsoring: 2 }), RESERVE).minimumBalance).toBe(
      25_000_000n,
    );
    expect(accountStateOf(account({ subentry_count: 3, num_sponsored: 2 }), RESERVE).minimumBalance).toBe(
      15_000_000n,
    );
  });

  it('keeps the lumens open offers are selling on top of the reserve', () => {
    const balances = account().balances.map((line) =>
      line.asset_type === 'native' ? { ...line, selling_liabilities: '1.2500000' } : line,
    );
    expect(accountStateOf(account({ subentry_count: 1, balances }), RESERVE).minimumBalance).toBe(
      27_500_000n,
    );
  });

  it('lists trustlines in stroops with their limit and authorization', () => {
    const balances = account().balances.map((line) =>
      line.asset_type === 'native' ? line : { ...line, is_authorized: false },
    );
    expect(accountStateOf(account({ balances }), RESERVE).trustlines).toEqual([
      {
        assetCode: 'USDC',
        assetIssuer: ISSUER,
        balance: 1_000_000_000n,
        limit: 9_223_372_036_854_775_807n,
        authorized: false,
      },
    ]);
  });

  it('reads SEP-29 memo_required only when the data entry is "1"', () => {
    expect(
      accountStateOf(account({ data_attr: { 'config.memo_required': 'MQ==' } }), RESERVE).memoRequired,
    ).toBe(true);
    expect(
      accountStateOf(account({ data_attr: { 'config.memo_required': 'MA==' } }), RESERVE).memoRequired,
    ).toBe(false);
    // The raw resource (not the SDK's AccountResponse) names it `data`.
    const raw = account({ data_attr: undefined, data: { 'config.memo_required': 'MQ==' } });
    expect(accountStateOf(raw, RESERVE).memoRequired).toBe(true);
  });
});

describe('feeQuoteOf', () => {
  // Shaped like pubnet Horizon's `/fee_stats` during a surge: strings of stroops per operation.
  const surge = {
    last_ledger: '51234567',
    last_ledger_base_fee: '100',
    ledger_capacity_usage: '0.97',
    fee_charged: {
      max: '1000000',
      min: '100',
      mode: '100',
      p10: '100',
      p20: '100',
      p30: '100',
      p40: '101',
      p50: '200',
      p60: '250',
      p70: '400',
      p80: '1000',
      p90: '2501',
      p95: '10000',
      p99: '200000',
    },
    max_fee: {
      max: '100000000',
      min: '100',
      mode: '100',
      p10: '100',
      p20: '150',
      p30: '200',
      p40: '300',
      p50: '500',
      p60: '1000',
      p70: '2000',
      p80: '5000',
      p90: '10000',
      p95: '50000',
      p99: '1000000',
    },
  };

  it('quotes the 90th percentile of what was charged, with the cap', () => {
    expect(feeQuoteOf(surge, 10_000)).toEqual({ needed: 2_501, cap: 10_000 });
  });

  it('quotes the base fee when the statistics show less', () => {
    const quiet = {
      ...surge,
      last_ledger_base_fee: '200',
      fee_charged: { ...surge.fee_charged, p90: '100' },
    };
    expect(feeQuoteOf(quiet, 10_000).needed).toBe(200);
  });

  it('treats an unreadable answer as a failed read, retried later', () => {
    for (const broken of [
      {},
      { ...surge, fee_charged: { ...surge.fee_charged, p90: '25.5' } },
      { ...surge, last_ledger_base_fee: 100 },
      null,
    ]) {
      expect(() => feeQuoteOf(broken, 10_000)).toThrow(StellarHorizonError);
    }
  });
});
