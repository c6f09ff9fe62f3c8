import { describe, expect, it } from 'vitest';
import type { InvoiceRecord } from '../ports.ts';
import { parseTokenList } from '../domain/tokens.ts';
import { pendingActionCallbackData } from './pending-actions.ts';
import {
  invoiceAmountText,
  invoiceCancelActionId,
  invoiceLinks,
  invoicePageUrl,
  invoicePayActionId,
  invoicePaymentUri,
  invoiceQrPng,
  renderInvoiceCard,
} from './invoice-card.ts';

const PAYEE = 'GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H';
const ISSUER = 'GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN';
const EVM_PAYEE = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const TOKENS = parseTokenList(`USDT:${TOKEN}:6`);
const NOW = new Date('2026-11-21T12:00:00Z');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function invoice(overrides: Partial<InvoiceRecord> = {}): InvoiceRecord {
  return {
    id: '6f1c2a4e-1111-4222-8333-944455556666',
    slug: 'AbC-_123xyz9',
    payeeUserId: 1n,
    rail: 'STELLAR',
    chainId: null,
    assetCode: 'XLM',
    assetIssuer: null,
    amountBase: 100_000_000n,
    description: 'coffee beans',
    payeeAddress: PAYEE,
    memoId: 42n,
    status: 'OPEN',
    expiresAt: new Date('2026-11-22T12:00:00Z'),
    paidAt: null,
    paidByUserId: null,
    settlementRef: null,
    createdAt: NOW,
    ...overrides,
  };
}

/** A translator that shows which message was used and with what. */
const t = (key: string, variables?: Record<string, string | number>) =>
  variables ? `${key}${JSON.stringify(variables)}` : key;

describe('the payment URI of an invoice', () => {
  it('is a SEP-7 pay request to the payee with the invoice memo id for XLM', () => {
    expect(invoicePaymentUri(invoice())).toBe(
      `web+stellar:pay?destination=${PAYEE}&amount=10&memo=42&memo_type=MEMO_ID&msg=coffee%20beans`,
    );
  });

  it('names the issuer of a Stellar credit asset', () => {
    expect(invoicePaymentUri(invoice({ assetCode: 'EURC', assetIssuer: ISSUER, description: '' }))).toBe(
      `web+stellar:pay?destination=${PAYEE}&amount=10&asset_code=EURC&asset_issuer=${ISSUER}&memo=42&memo_type=MEMO_ID`,
    );
  });

  it('is an EIP-681 request for the exact amount of the native coin or the token', () => {
    const evm = { rail: 'EVM' as const, chainId: 31337, payeeAddress: EVM_PAYEE };
    expect(invoicePaymentUri(invoice({ ...evm, assetCode: 'ETH', amountBase: 10n ** 18n }))).toBe(
      `ethereum:${EVM_PAYEE}@31337?value=1000000000000000000`,
    );
    expect(
      invoicePaymentUri(invoice({ ...evm, assetCode: 'USDT', assetIssuer: TOKEN, amountBase: 2_500_000n })),
    ).toBe(`ethereum:${TOKEN}@31337/transfer?address=${EVM_PAYEE}&uint256=2500000`);
  });

  it('does not exist for Stars, which are paid inside Telegram', () => {
    expect(
      invoicePaymentUri(invoice({ rail: 'STARS', assetCode: 'XTR', amountBase: 50n, payeeAddress: null })),
    ).toBeNull();
  });
});

describe('the links of an invoice card', () => {
  it('opens the bot with an inv_ payload Telegram accepts, and shares that link', () => {
    const links = invoiceLinks(invoice(), { botUsername: 'pay_bot', publicUrl: null }, 'Please pay 10 XLM');
    expect(links.deepLink).toBe('https://t.me/pay_bot?start=inv_AbC-_123xyz9');
    const payload = new URL(links.deepLink).searchParams.get('start')!;
    expect(payload).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    const share = new URL(links.shareUrl);
    expect(`${share.origin}${share.pathname}`).toBe('https://t.me/share/url');
    expect(share.searchParams.get('url')).toBe(links.deepLink);
    expect(share.searchParams.get('text')).toBe('Please pay 10 XLM');
    expect(links.pageUrl).toBeNull();
    expect(links.qrText).toBe(links.paymentUri);
  });

  it('points to the page on the public origin, keeping a path prefix', () => {
    expect(invoicePageUrl('https://pay.example.com', 'abc')).toBe('https://pay.example.com/i/abc');
    expect(invoicePageUrl('https://example.com/bot/', 'abc')).toBe('https://example.com/bot/i/abc');
    const links = invoiceLinks(
      invoice(),
      { botUsername: 'pay_bot', publicUrl: 'https://pay.example.com' },
      '',
    );
    expect(links.pageUrl).toBe('https://pay.example.com/i/AbC-_123xyz9');
  });

  it('encodes the deep link in the QR code of a Stars invoice', () => {
    const stars = invoice({ rail: 'STARS', assetCode: 'XTR', amountBase: 50n, payeeAddress: null });
    const links = invoiceLinks(stars, { botUsername: 'pay_bot', publicUrl: null }, '');
    expect(links.qrText).toBe(links.deepLink);
  });
});

describe('amounts and button ids', () => {
  it('shows amounts exactly in the unit of the asset', () => {
    expect(invoiceAmountText(invoice({ amountBase: 1n }), TOKENS)).toBe('0.0000001');
    const usdt = invoice({
      rail: 'EVM',
      chainId: 31337,
      assetCode: 'USDT',
      assetIssuer: TOKEN,
      amountBase: 2_500_001n,
    });
    expect(invoiceAmountText(usdt, TOKENS)).toBe('2.500001');
    expect(invoiceAmountText(invoice({ rail: 'STARS', assetCode: 'XTR', amountBase: 50n }), TOKENS)).toBe(
      '50',
    );
  });

  it('derives stable action ids that fit callback_data, distinct per invoice, payer and attempt', () => {
    const ids = [
      invoiceCancelActionId('a'),
      invoiceCancelActionId('b'),
      invoicePayActionId('a', 1n, 0),
      invoicePayActionId('a', 1n, 1),
      invoicePayActionId('a', 2n, 0),
    ];
    expect(new Set(ids).size).toBe(ids.length);
    expect(invoicePayActionId('a', 1n, 0)).toBe(ids[2]);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.byteLength(pendingActionCallbackData(id, 'cancel'))).toBeLessThanOrEqual(64);
    }
  });

  it('draws a PNG QR code', async () => {
    expect((await invoiceQrPng('web+stellar:pay?destination=G')).subarray(0, 8).equals(PNG_SIGNATURE)).toBe(
      true,
    );
  });
});

describe('the card text', () => {
  it('shows amount, escaped description, where to pay with the memo, expiry and open status', () => {
    const text = renderInvoiceCard(invoice({ description: '<b>beans</b> & milk' }), {
      t,
      now: NOW,
      knownTokens: TOKENS,
    });
    expect(text).toContain(
      'invoice-card-amount{"amount":"10","asset":"XLM","network":"invoice-network-stellar"}',
    );
    expect(text).toContain('&lt;b&gt;beans&lt;/b&gt; &amp; milk');
    expect(text).not.toContain('<b>beans');
    expect(text).toContain(`invoice-card-payee-address{"address":"${PAYEE}"}`);
    expect(text).toContain('invoice-card-memo{"memo":"42"}');
    expect(text).toContain('invoice-card-expiry{"expiry":"2026-11-22 12:00 UTC"}');
    expect(text).toContain('invoice-card-status-open');
  });

  it('names the token contract of an ERC-20 invoice', () => {
    const usdt = invoice({
      rail: 'EVM',
      chainId: 31337,
      assetCode: 'USDT',
      assetIssuer: TOKEN,
      payeeAddress: EVM_PAYEE,
    });
    const text = renderInvoiceCard(usdt, { t, now: NOW, knownTokens: TOKENS });
    expect(text).toContain(`invoice-card-token{"token":"${TOKEN}"}`);
    expect(text).not.toContain('invoice-card-memo');
  });

  it.each([
    [{ status: 'PAID' as const }, NOW, 'invoice-card-status-paid'],
    [{ status: 'CANCELLED' as const }, NOW, 'invoice-card-status-cancelled'],
    [{}, new Date('2026-11-22T12:00:00Z'), 'invoice-card-status-expired'],
  ])('once closed (%j at %s) shows %s and no way to pay', (overrides, now, status) => {
    const text = renderInvoiceCard(invoice(overrides), {
      t,
      now,
      knownTokens: TOKENS,
      deepLink: 'https://t.me/x?start=inv_y',
    });
    expect(text).toContain(status);
    expect(text).not.toContain('invoice-card-memo');
    expect(text).not.toContain('invoice-card-link');
    expect(text).not.toContain('invoice-card-expiry');
  });
});
