import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Keypair } from '@stellar/stellar-sdk';
import { Bot } from 'grammy';
import { createPrismaClient, type PrismaClient } from '../../core/adapters/prisma-client.ts';
import { createInvoiceRepository } from '../../core/adapters/invoice-repository.ts';
import { createUserRepository } from '../../core/adapters/user-repository.ts';
import { createLogger } from '../../core/logger.ts';
import { parseTokenList } from '../../core/domain/tokens.ts';
import type { InvoiceRecord, InvoiceRepository, NewInvoice } from '../../core/ports.ts';
import { invoicePaymentUri } from '../../core/services/invoice-card.ts';
import { createBotServer } from '../../bot/server.ts';
import { createInvoicePage } from '../../bot/invoice-page.ts';
import { createBotI18n } from '../../bot/i18n.ts';
import type { BotContext } from '../../bot/context.ts';
import { botUserFor } from '../doubles/fake-bot-api.ts';
import { createTestDatabase } from '../support/database.ts';

const TOKEN_ADDRESS = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const EVM_PAYEE = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';
const BOT_TOKEN = '1234567890:AAFakeBotApiTokenForTests_0123456789';

let prisma: PrismaClient;
let drop: () => Promise<void>;
let server: Server;
let baseUrl: string;
let invoices: InvoiceRepository;
let payeeUserId: bigint;

beforeAll(async () => {
  const database = await createTestDatabase('invoice_page');
  drop = database.drop;
  prisma = createPrismaClient(database.url);
  invoices = createInvoiceRepository(prisma);
  payeeUserId = (await createUserRepository(prisma).ensure(4242n, 'en')).id;
  const i18n = createBotI18n();
  const bot = new Bot<BotContext>(BOT_TOKEN, { botInfo: botUserFor(BOT_TOKEN, { username: 'pay_bot' }) });
  const logger = createLogger({ name: 'invoice-page-test', level: 'silent' });
  server = createBotServer({
    bot,
    logger,
    isReady: async () => true,
    invoicePage: createInvoicePage({
      invoices,
      knownTokens: parseTokenList(`USDT:${TOKEN_ADDRESS}:6`),
      botUsername: () => bot.botInfo.username,
      translate: (locale, key, variables) => i18n.t(locale, key, variables),
      logger,
    }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await prisma?.$disconnect();
  await drop?.();
});

const inAnHour = () => new Date(Date.now() + 3_600_000);

function stellarInvoice(overrides: Partial<NewInvoice> = {}): Promise<InvoiceRecord> {
  return invoices.create({
    payeeUserId,
    rail: 'STELLAR',
    chainId: null,
    assetCode: 'XLM',
    assetIssuer: null,
    amountBase: 125_000_000n,
    description: 'coffee beans',
    payeeAddress: Keypair.random().publicKey(),
    expiresAt: inAnHour(),
    ...overrides,
  });
}

async function getPage(slug: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}/i/${slug}`, { headers, redirect: 'manual' });
  return { response, html: await response.text() };
}

const unescape = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The URL the page's meta refresh hands over to, or null when it does not redirect. */
function redirectTarget(html: string): string | null {
  const match = /<meta http-equiv="refresh" content="\d+;url=([^"]+)">/.exec(html);
  return match ? unescape(match[1]!) : null;
}

describe('the page of a payable Stellar invoice', () => {
  it('shows the QR code inline and redirects to the SEP-7 URI carrying the invoice memo id', async () => {
    const invoice = await stellarInvoice();
    const { response, html } = await getPage(invoice.slug);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const target = redirectTarget(html);
    expect(target).toBe(invoicePaymentUri(invoice));
    expect(target).toBe(
      `web+stellar:pay?destination=${invoice.payeeAddress}&amount=12.5&memo=${invoice.memoId}&memo_type=MEMO_ID&msg=coffee%20beans`,
    );
    expect(html).toContain(`href="${target!.replace(/&/g, '&amp;')}"`);
    expect(html).toMatch(/<img alt="[^"]+" src="data:image\/png;base64,[A-Za-z0-9+/=]+">/);
    expect(html).toContain('12.5 XLM');
    expect(html).toContain(`https://t.me/pay_bot?start=inv_${invoice.slug}`);
  });

  it('loads nothing from elsewhere and runs no script, under a strict content security policy', async () => {
    const invoice = await stellarInvoice();
    const { response, html } = await getPage(invoice.slug);
    const policy = response.headers.get('content-security-policy')!;
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain('img-src data:');
    expect(policy).not.toContain('unsafe-inline');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\/(?!t\.me\/)/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('escapes a description written to break out of the page', async () => {
    const invoice = await stellarInvoice({ description: `"><script>alert('x')</script>&` });
    const { html } = await getPage(invoice.slug);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;');
  });

  it('speaks the language the browser asks for', async () => {
    const invoice = await stellarInvoice();
    const { html } = await getPage(invoice.slug, { 'accept-language': 'es-ES,es;q=0.9,en;q=0.8' });
    expect(html).toContain('<html lang="es">');
    expect(html).toContain('Solicitud de pago');
  });
});

describe('the page of an EVM invoice', () => {
  it('redirects to the EIP-681 transfer of the exact token amount to the payee', async () => {
    const invoice = await invoices.create({
      payeeUserId,
      rail: 'EVM',
      chainId: 31337,
      assetCode: 'USDT',
      assetIssuer: TOKEN_ADDRESS,
      amountBase: 2_500_000n,
      description: '',
      payeeAddress: EVM_PAYEE,
      expiresAt: inAnHour(),
    });
    const { html } = await getPage(invoice.slug);
    expect(redirectTarget(html)).toBe(
      `ethereum:${TOKEN_ADDRESS}@31337/transfer?address=${EVM_PAYEE}&uint256=2500000`,
    );
    expect(html).toContain('2.5 USDT');
  });
});

describe('when the invoice can no longer be paid', () => {
  it.each([
    ['paid', 'PAID' as const, 'This invoice has been paid.'],
    ['cancelled', 'CANCELLED' as const, 'This invoice was cancelled.'],
    ['expired', 'EXPIRED' as const, 'This invoice has expired.'],
  ])('shows that it is %s, without a QR code or a redirect', async (_name, status, text) => {
    const invoice = await stellarInvoice();
    await prisma.invoice.update({ where: { id: invoice.id }, data: { status } });
    const { response, html } = await getPage(invoice.slug);
    expect(response.status).toBe(200);
    expect(html).toContain(text);
    expect(redirectTarget(html)).toBeNull();
    expect(html).not.toContain('web+stellar:');
    expect(html).not.toContain('<img');
  });

  it('treats an open invoice past its expiry as expired before the expiry job runs', async () => {
    const invoice = await stellarInvoice({ expiresAt: new Date(Date.now() - 1000) });
    const { html } = await getPage(invoice.slug);
    expect(html).toContain('This invoice has expired.');
    expect(redirectTarget(html)).toBeNull();
  });
});

describe('a Stars invoice', () => {
  it('points to the bot, where Stars are paid, and redirects nowhere', async () => {
    const invoice = await invoices.create({
      payeeUserId,
      rail: 'STARS',
      chainId: null,
      assetCode: 'XTR',
      assetIssuer: null,
      amountBase: 50n,
      description: 'tip',
      payeeAddress: null,
      expiresAt: inAnHour(),
    });
    const { html } = await getPage(invoice.slug);
    expect(redirectTarget(html)).toBeNull();
    expect(html).toContain(`href="https://t.me/pay_bot?start=inv_${invoice.slug}"`);
    expect(html).toContain('50 Stars');
  });
});

describe('an address that names no invoice', () => {
  it.each(['NoSuchSlug12', '..%2F..%2Fetc', '%E0%A4%A', 'x'.repeat(200)])(
    'answers %s with a 404 page',
    async (slug) => {
      const { response, html } = await getPage(slug);
      expect(response.status).toBe(404);
      expect(html).toContain('Invoice not found');
    },
  );

  it('leaves the other routes of the server as they were', async () => {
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/i`)).status).toBe(404);
  });
});
