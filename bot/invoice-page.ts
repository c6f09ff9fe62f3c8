import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { negotiateLanguage } from '../core/domain/languages.ts';
import { telegramStartLink } from '../core/domain/payment-uris.ts';
import type { KnownToken } from '../core/domain/tokens.ts';
import type { Logger } from '../core/logger.ts';
import type { InvoiceRecord, InvoiceRepository } from '../core/ports.ts';
import { invoicePayability } from '../core/services/invoices.ts';
import {
  formatExpiry,
  invoiceAmountText,
  invoiceAssetText,
  invoiceNetworkText,
  invoicePaymentUri,
  invoiceQrDataUrl,
  invoiceStartPayload,
} from '../core/services/invoice-card.ts';
import type { Translate } from '../core/services/wallet-card.ts';

/** Slugs are 12 base64url characters; anything else is not worth a database read. */
const SLUG = /^[A-Za-z0-9_-]{1,60}$/;
/** Seconds before the page hands over to the wallet: time to see the QR code on a computer. */
const REDIRECT_DELAY_SECONDS = 2;

const STYLE = [
  'body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;padding:24px;background:#f5f6f8;color:#1b1f24}',
  'main{max-width:420px;margin:0 auto;background:#fff;border-radius:16px;padding:24px;box-shadow:0 2px 12px rgba(0,0,0,.08);text-align:center}',
  'h1{font-size:20px;margin:0 0 8px}',
  '.amount{font-size:28px;font-weight:700;margin:8px 0}',
  '.muted{color:#5b6470;font-size:14px}',
  'img{width:100%;max-width:320px;height:auto;image-rendering:pixelated}',
  '.button{display:inline-block;margin-top:16px;padding:12px 20px;border-radius:10px;background:#2a7de1;color:#fff;text-decoration:none;font-weight:600}',
  '.status{font-weight:600;margin-top:12px}',
  'code{word-break:break-all;font-size:12px}',
].join('');
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');
/** Nothing external, no scripts, no framing, no forms: the page is static apart from its one redirect. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  'img-src data:',
  `style-src 'sha256-${STYLE_HASH}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What the page needs: the invoices, how to say things in a language, and the bot's name. */
export interface InvoicePageDeps {
  invoices: Pick<InvoiceRepository, 'findBySlug'>;
  knownTokens: readonly KnownToken[];
  /** The bot's @username, for the "open in Telegram" link (known once the bot has started). */
  botUsername: () => string;
  translate: (locale: string, key: string, variables?: Record<string, string | number>) => string;
  logger: Logger;
  now?: () => Date;
}

/** HTML-escapes text and attribute values (all five characters that matter). */
export function escapeHtmlAttribute(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function page(
  res: ServerResponse,
  status: number,
  options: { lang: string; title: string; body: string; refreshTo?: string },
): void {
  const refresh = options.refreshTo
    ? `<meta http-equiv="refresh" content="${REDIRECT_DELAY_SECONDS};url=${escapeHtmlAttribute(options.refreshTo)}">`
    : '';
  const html = [
    '<!doctype html>',
    `<html lang="${escapeHtmlAttribute(options.lang)}"><head><meta charset="utf-8">`,
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtmlAttribute(options.title)}</title>`,
    refresh,
    `<style>${STYLE}</style></head><body><main>${options.body}</main></body></html>`,
  ].join('');
  res
    .writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    })
    .end(html);
}

async function invoiceBody(
  invoice: InvoiceRecord,
  t: Translate,
  deps: InvoicePageDeps,
  now: Date,
): Promise<{ body: string; refreshTo?: string }> {
  const payability = invoicePayability(invoice, now);
  const payable = payability === 'payable';
  const paymentUri = invoicePaymentUri(invoice);
  const deepLink = telegramStartLink(deps.botUsername(), invoiceStartPayload(invoice.slug));
  const parts = [
    `<h1>${escapeHtmlAttribute(t('page-title'))}</h1>`,
    `<div class="amount">${escapeHtmlAttribute(`${invoiceAmountText(invoice, deps.knownTokens)} ${invoiceAssetText(invoice)}`)}</div>`,
    `<div class="muted">${escapeHtmlAttribute(invoiceNetworkText(invoice, t))}</div>`,
  ];
  if (invoice.description) parts.push(`<p>${escapeHtmlAttribute(invoice.description)}</p>`);
  if (!payable) {
    parts.push(`<p class="status">${escapeHtmlAttribute(t(`page-status-${payability}`))}</p>`);
    return { body: parts.join('') };
  }
  // Stars are paid inside Telegram only; on-chain invoices go to the wallet that opens the URI.
  const target = paymentUri ?? deepLink;
  parts.push(
    `<img alt="${escapeHtmlAttribute(t('page-qr-alt'))}" src="${await invoiceQrDataUrl(target)}">`,
    `<div><a class="button" href="${escapeHtmlAttribute(target)}">${escapeHtmlAttribute(
      t(paymentUri ? 'page-open-wallet' : 'page-open-telegram'),
    )}</a></div>`,
  );
  if (paymentUri) {
    parts.push(
      `<p class="muted">${escapeHtmlAttribute(t('page-expiry', { expiry: formatExpiry(invoice.expiresAt) }))}</p>`,
      `<p class="muted">${escapeHtmlAttribute(t('page-manual'))}</p><p><code>${escapeHtmlAttribute(paymentUri)}</code></p>`,
      `<p class="muted"><a href="${escapeHtmlAttribute(deepLink)}">${escapeHtmlAttribute(t('page-open-telegram'))}</a></p>`,
    );
  }
  return { body: parts.join(''), refreshTo: paymentUri ?? undefined };
}

/**
 * `GET /i/<slug>`: the invoice for wallets outside Telegram, in the visitor's language
 * (Accept-Language). While the invoice is payable the page shows the QR code of its SEP-7 or
 * EIP-681 URI, a button with that URI, and hands over to it after a moment (meta refresh: no
 * script runs). A paid, cancelled or expired invoice is shown with its status and no redirect;
 * an unknown slug gets a 404 page. Escaped throughout, inline resources only, strict CSP.
 */
export function createInvoicePage(deps: InvoicePageDeps) {
  return async (slug: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const lang = negotiateLanguage(req.headers['accept-language']?.split(',')[0]?.split(';')[0]?.trim());
    const t: Translate = (key, variables) => deps.translate(lang, key, variables);
    try {
      const invoice = SLUG.test(slug) ? await deps.invoices.findBySlug(slug) : null;
      if (!invoice) {
        const body = `<h1>${escapeHtmlAttribute(t('page-not-found-title'))}</h1><p>${escapeHtmlAttribute(t('page-not-found'))}</p>`;
        return page(res, 404, { lang, title: t('page-not-found-title'), body });
      }
      const content = await invoiceBody(invoice, t, deps, deps.now?.() ?? new Date());
      page(res, 200, { lang, title: t('page-title'), ...content });
    } catch (error) {
      deps.logger.error({ err: error }, 'invoice page failed');
      if (!res.headersSent) {
        const body = `<h1>${escapeHtmlAttribute(t('page-error'))}</h1>`;
        page(res, 500, { lang, title: t('page-error'), body });
      }
    }
  };
}
