import { describe, expect, it } from 'vitest';
import { createBotI18n } from '../i18n.ts';
import { SUPPORTED_LANGUAGES } from '../../core/domain/languages.ts';
import type { PaymentDraft, SendRefusal } from '../../core/services/send-validation.ts';
import { refusalText, renderPaymentSummary, stepFor, type Translate } from './payment-text.ts';

const i18n = createBotI18n();
const translator =
  (language: string): Translate =>
  (key, variables) =>
    i18n.t(language, key, variables);

/** One refusal of every code and reason, so a missing message shows up as a failing language. */
const refusals: SendRefusal[] = [
  ...(['format', 'too_many_decimals', 'too_large', 'negative', 'zero', 'decimal_comma'] as const).map(
    (reason): SendRefusal => ({ code: 'amount-invalid', reason, decimals: 7 }),
  ),
  ...(
    [
      'empty',
      'secret-key',
      'stellar-invalid',
      'evm-invalid',
      'evm-checksum',
      'evm-zero',
      'username-invalid',
      'unrecognized',
    ] as const
  ).map((reason): SendRefusal => ({ code: 'destination-invalid', reason })),
  { code: 'asset-unknown' },
  { code: 'wrong-chain', assetChain: 'STELLAR' },
  { code: 'wrong-chain', assetChain: 'EVM' },
  { code: 'source-not-ready', chain: 'STELLAR' },
  { code: 'source-not-ready', chain: 'EVM' },
  { code: 'source-not-authorized' },
  { code: 'unknown-user', username: 'alice_b' },
  { code: 'recipient-no-wallet', username: 'alice_b', chain: 'EVM' },
  { code: 'self-payment' },
  {
    code: 'insufficient-balance',
    available: 15_000_000n,
    requested: 20_000_000n,
    decimals: 7,
    assetCode: 'XLM',
  },
  { code: 'insufficient-fee-balance', available: 0n, required: 100n, decimals: 7, assetCode: 'XLM' },
  { code: 'destination-missing' },
  { code: 'destination-no-trustline', assetCode: 'USDC' },
  { code: 'destination-not-authorized', assetCode: 'USDC' },
  { code: 'destination-line-full', assetCode: 'USDC' },
  { code: 'memo-required' },
  { code: 'memo-too-long', maxBytes: 28 },
  { code: 'memo-not-supported' },
];

describe('refusalText', () => {
  it.each(SUPPORTED_LANGUAGES)('answers every refusal with a real message in %s', (language) => {
    const t = translator(language);
    for (const refusal of refusals) {
      const text = refusalText(refusal, t, 'XLM');
      expect(
        text,
        JSON.stringify(refusal, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v)),
      ).not.toMatch(/^send-refusal|\{\s*\$/);
    }
  });

  it('shows amounts as exact decimals', () => {
    const text = refusalText(
      refusals.find((refusal) => refusal.code === 'insufficient-balance')!,
      translator('en'),
      'XLM',
    );
    expect(text).toContain('at most 1.5 XLM');
    expect(text).toContain('asked for 2');
  });

  it('says plainly that a missing Stellar account does not exist', () => {
    expect(refusalText({ code: 'destination-missing' }, translator('en'), 'XLM')).toContain(
      'The account does not exist',
    );
  });
});

describe('stepFor', () => {
  it('sends the user back to the question that can fix the refusal', () => {
    expect(stepFor({ code: 'amount-invalid', reason: 'zero', decimals: 7 })).toBe('amount');
    expect(stepFor(refusals.find((refusal) => refusal.code === 'insufficient-balance')!)).toBe('amount');
    expect(stepFor({ code: 'destination-no-trustline', assetCode: 'USDC' })).toBe('destination');
    expect(stepFor({ code: 'unknown-user', username: 'alice_b' })).toBe('destination');
    expect(stepFor({ code: 'memo-required' })).toBe('memo');
    expect(stepFor({ code: 'source-not-ready', chain: 'STELLAR' })).toBe('end');
  });
});

describe('renderPaymentSummary', () => {
  const draft: PaymentDraft = {
    userId: 1n,
    walletId: 'w',
    sourceAddress: 'GSOURCE',
    asset: { chain: 'STELLAR', code: 'XLM', issuer: null },
    decimals: 7,
    amountBase: 125_000_000n,
    destination: 'GDESTINATIONADDRESSGDESTINATIONADDRESSGDESTINATIONADDRESS',
    recipientUserId: 2n,
    recipientUsername: 'alice_b',
    memo: { type: 'text', value: '<b>tea</b> & cake' },
    invoiceId: null,
    fee: { amountBase: 100n, code: 'XLM', decimals: 7 },
  };

  it('shows amount, recipient by name and address, memo, fee bound and expiry', () => {
    const text = renderPaymentSummary(draft, translator('en'), 300);
    expect(text).toContain('<b>12.5 XLM</b>');
    expect(text).toContain('@alice_b');
    expect(text).toContain(`<code>${draft.destination}</code>`);
    expect(text).toContain('at most 0.00001 XLM');
    expect(text).toContain('5 min');
  });

  it('escapes the memo, which is user text, for HTML', () => {
    const text = renderPaymentSummary(draft, translator('es'), 300);
    expect(text).toContain('Memo: &lt;b&gt;tea&lt;/b&gt; &amp; cake');
    expect(text).not.toContain('<b>tea</b>');
  });
});
