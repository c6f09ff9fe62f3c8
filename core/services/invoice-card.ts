/**
 * How an invoice is shown and reached: its amount in the asset's units, the payment URI a wallet
 * outside Telegram understands (SEP-7 or EIP-681), the deep link that opens it in the bot, the
 * public page, the QR picture and the card caption. Everything here is a function of the invoice
 * and settings, so the bot's card, the inline result and the HTTP page always agree.
 */
import { createHash } from 'node:crypto';
import QRCode from 'qrcode';
import { formatDecimalAmount, STELLAR_DECIMALS, WEI_DECIMALS } from '../domain/amounts.ts';
import { eip681Uri, sep7PayUri, telegramStartLink } from '../domain/payment-uris.ts';
import { tokenByAddress, type KnownToken } from '../domain/tokens.ts';
import type { InvoiceRecord } from '../ports.ts';
import { INVOICE_START_PREFIX, invoicePayability, type InvoicePayability } from './invoices.ts';
import type { Translate } from './wallet-card.ts';

/** Pending-action kind behind the Confirm / Cancel buttons of a payment of an invoice. */
export const PAY_INVOICE_ACTION_KIND = 'pay-invoice';
/** Pending-action kind behind the payee's Cancel button on an invoice card. */
export const INVOICE_CANCEL_ACTION_KIND = 'invoice-cancel';
/** The choice the card's Cancel button carries (`pa:<id>:cancel`). */
export const INVOICE_CANCEL_CHOICE = 'cancel';

/** What an invoice card links to; `pageUrl` is null when the server has no public origin. */
export interface InvoiceLinks {
  /** `https://t.me/<bot>?start=inv_<slug>`: the Pay button. */
  deepLink: string;
  /** Telegram's share sheet with the deep link. */
  shareUrl: string;
  /** Our https page with the QR code and a redirect to `paymentUri`. */
  pageUrl: string | null;
  /** SEP-7 or EIP-681 URI; null for Stars, which are paid inside Telegram only. */
  paymentUri: string | null;
  /** What the QR picture encodes: the payment URI, or the deep link for Stars. */
  qrText: string;
}

/** Where links point: the bot's @username and the public origin of its HTTP server. */
export interface InvoiceLinkSettings {
  botUsername: string;
  publicUrl: string | null;
}

/** The `/start` payload of an invoice's deep link: `inv_<slug>` (at most 64 characters). */
export function invoiceStartPayload(slug: string): string {
  return `${INVOICE_START_PREFIX}${slug}`;
}

/** `<publicUrl>/i/<slug>`; a path prefix in `publicUrl` is kept. */
export function invoicePageUrl(publicUrl: string, slug: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/i/${encodeURIComponent(slug)}`;
}

/** Decimals of the invoice's base unit; an ERC-20 the platform no longer lists falls back to 18. */
export function invoiceDecimals(invoice: InvoiceRecord, knownTokens: readonly KnownToken[]): number {
  if (invoice.rail === 'STARS') return 0;
  if (invoice.rail === 'STELLAR') return STELLAR_DECIMALS;
  if (invoice.assetIssuer === null) return WEI_DECIMALS;
  return tokenByAddress(knownTokens, invoice.assetIssuer)?.decimals ?? WEI_DECIMALS;
}

/** The amount as an exact decimal string ("10", "0.0000001"). */
export function invoiceAmountText(invoice: InvoiceRecord, knownTokens: readonly KnownToken[]): string {
  return formatDecimalAmount(invoice.amountBase, invoiceDecimals(invoice, knownTokens));
}

/** The asset as shown next to the amount: `XLM`, `USDC`, `ETH`, `Stars`. */
export function invoiceAssetText(invoice: InvoiceRecord): string {
  return invoice.rail === 'STARS' ? 'Stars' : invoice.assetCode;
}

/**
 * The payment request a wallet outside Telegram opens: SEP-7 `pay` to the payee's address with
 * the invoice's MEMO_ID (how the Stellar watcher knows which invoice a payment settles), or
 * EIP-681 for the exact amount and token (how the EVM watcher matches it). Null for Stars.
 */
export function invoicePaymentUri(invoice: InvoiceRecord): string | null {
  if (invoice.rail === 'STARS' || invoice.payeeAddress === null) return null;
  if (invoice.rail === 'STELLAR')
    return sep7PayUri({
      destination: invoice.payeeAddress,
      amountStroops: invoice.amountBase,
      asset: invoice.assetIssuer ? { code: invoice.assetCode, issuer: invoice.assetIssuer } : null,
      memoId: invoice.memoId,
      message: invoice.description || null,
    });
  return eip681Uri({
    chainId: invoice.chainId ?? 0,
    to: invoice.payeeAddress,
    token: invoice.assetIssuer,
    amountBase: invoice.amountBase,
  });
}

/** Every link of an invoice card; `shareText` is the message pre-filled in Telegram's share sheet. */
export function invoiceLinks(
  invoice: InvoiceRecord,
  settings: InvoiceLinkSettings,
  shareText: string,
): InvoiceLinks {
  const deepLink = telegramStartLink(settings.botUsername, invoiceStartPayload(invoice.slug));
  const paymentUri = invoicePaymentUri(invoice);
  return {
    deepLink,
    shareUrl: `https://t.me/share/url?url=${encodeURIComponent(deepLink)}&text=${encodeURIComponent(shareText)}`,
    pageUrl: settings.publicUrl ? invoicePageUrl(settings.publicUrl, invoice.slug) : null,
    paymentUri,
    qrText: paymentUri ?? deepLink,
  };
}

/** A QR code of `text` as PNG bytes, large enough to scan from a phone screen. */
export function invoiceQrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 384 });
}

/** The same QR code as a `data:image/png;base64,…` URL, for the page (no external resources). */
export function invoiceQrDataUrl(text: string): Promise<string> {
  return QRCode.toDataURL(text, { type: 'image/png', errorCorrectionLevel: 'M', margin: 2, width: 384 });
}

/** A pending-action id (22 base64url characters, as the store expects) derived from `parts`. */
function derivedActionId(...parts: (string | number | bigint)[]): string {
  return createHash('sha256').update(parts.join(':')).digest().subarray(0, 16).toString('base64url');
}

/**
 * The id of the pending action behind an invoice card's Cancel button. Derived from the invoice,
 * so there is at most one cancellable card per invoice and anyone who knows the invoice (the bot
 * refreshing the card once it is paid, the worker) can find that card's chat and message. The id
 * grants nothing by itself: a press is honoured only from the payee, on that message.
 */
export function invoiceCancelActionId(invoiceId: string): string {
  return derivedActionId(INVOICE_CANCEL_ACTION_KIND, invoiceId);
}

/**
 * The id of a payer's `attempt`-th confirmation of an invoice. Derived, not random, so that a
 * second Pay press (a second `/start inv_…`) finds the first confirmation instead of opening
 * another one: one payer has at most one open or in-flight payment of an invoice. The next
 * attempt is used only once the previous one expired unused, was cancelled or failed.
 */
export function invoicePayActionId(invoiceId: string, payerTelegramId: bigint, attempt: number): string {
  return derivedActionId(PAY_INVOICE_ACTION_KIND, invoiceId, payerTelegramId, attempt);
}

/** The status line key of an invoice at `now`. */
function statusKey(payability: InvoicePayability): string {
  return payability === 'payable' ? 'invoice-card-status-open' : `invoice-card-status-${payability}`;
}

/** Telegram HTML: the three characters its parser reads. */
export function escapeTelegramHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `2026-11-22 12:00 UTC`: unambiguous in every language. */
export function formatExpiry(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The network an invoice is paid on, as the card names it. */
export function invoiceNetworkText(invoice: InvoiceRecord, t: Translate): string {
  if (invoice.rail === 'STARS') return t('invoice-network-stars');
  if (invoice.rail === 'STELLAR') return t('invoice-network-stellar');
  return t('invoice-network-evm', { chainId: invoice.chainId ?? 0 });
}

/**
 * The card's text (Telegram HTML, under the 1024-character caption limit): amount, asset and
 * network, description, where an outside wallet pays (address, MEMO_ID, issuer or token
 * contract), expiry and status at `now`. With `deepLink`, a last line carries the link (for text
 * messages, where there is no QR picture).
 */
export function renderInvoiceCard(
  invoice: InvoiceRecord,
  options: { t: Translate; now: Date; knownTokens: readonly KnownToken[]; deepLink?: string },
): string {
  const { t } = options;
  const payability = invoicePayability(invoice, options.now);
  const lines = [
    t('invoice-card-title'),
    t('invoice-card-amount', {
      amount: invoiceAmountText(invoice, options.knownTokens),
      asset: escapeTelegramHtml(invoiceAssetText(invoice)),
      network: invoiceNetworkText(invoice, t),
    }),
  ];
  if (invoice.description)
    lines.push(t('invoice-card-description', { description: escapeTelegramHtml(invoice.description) }));
  if (invoice.payeeAddress && payability === 'payable') {
    lines.push('', t('invoice-card-payee-address', { address: invoice.payeeAddress }));
    if (invoice.rail === 'STELLAR') {
      lines.push(t('invoice-card-memo', { memo: invoice.memoId.toString() }));
      if (invoice.assetIssuer) lines.push(t('invoice-card-issuer', { issuer: invoice.assetIssuer }));
    } else if (invoice.assetIssuer) lines.push(t('invoice-card-token', { token: invoice.assetIssuer }));
  }
  lines.push('');
  if (payability === 'payable')
    lines.push(t('invoice-card-expiry', { expiry: formatExpiry(invoice.expiresAt) }));
  lines.push(t(statusKey(payability)));
  if (options.deepLink && payability === 'payable')
    lines.push('', t('invoice-card-link', { link: options.deepLink }));
  return lines.join('\n');
}
