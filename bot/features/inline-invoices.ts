import type { InlineQueryResult } from 'grammy/types';
import type { BotContext } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';
import { parseInvoiceRequest, type InvoiceRequestText } from '../../core/domain/invoice-request.ts';
import type { InvoiceRecord } from '../../core/ports.ts';
import {
  createInvoiceFromText,
  InvoiceRefusedError,
  invoicePayability,
  STARS_CURRENCY,
} from '../../core/services/invoices.ts';
import { invoiceAmountText, invoiceAssetText, renderInvoiceCard } from '../../core/services/invoice-card.ts';
import { invoiceCardKeyboard } from '../keyboards/invoice.ts';
import { invoiceDepsOf, invoiceRefusalKey, linksOf } from './invoices.ts';

/**
 * How long an invoice offered in inline mode is reused for the same request text. Clients send a
 * query per pause in typing; without reuse, `10 XLM coffee` typed and re-typed would leave a trail
 * of invoices. A result the user actually sends retires its invoice at once (when inline feedback
 * is on), so two cards sent one after the other are two invoices.
 */
const INLINE_REUSE_MS = 3 * 60_000;
/** Per-user results; a short cache so a retired invoice is not offered again from Telegram's cache. */
const INLINE_CACHE_SECONDS = 2;
/** Result ids name the invoice, so a chosen result tells which invoice was sent. */
const RESULT_PREFIX = 'inv:';
/** The deep-link payload of the "open the bot" button shown to users without a wallet. */
const START_FROM_INLINE = 'inline';

/** The same request typed the same way, whatever the spacing and case of the asset. */
function reuseKey(request: InvoiceRequestText): string {
  return `${request.amount} ${request.asset.toUpperCase()} ${request.description}`;
}

/** The user's open invoice for `key` offered in the last few minutes, if it is still payable. */
async function reusableInvoice(ctx: BotContext, key: string, now: Date): Promise<InvoiceRecord | null> {
  const entry = ctx.session.inlineInvoices?.[key];
  if (!entry || now.getTime() - entry.at > INLINE_REUSE_MS) return null;
  const invoice = await ctx.deps.invoices.findById(entry.invoiceId);
  return invoice && invoicePayability(invoice, now) === 'payable' ? invoice : null;
}

/** Remembers `invoice` for `key`, forgetting entries past the reuse window. */
function rememberInvoice(ctx: BotContext, key: string, invoice: InvoiceRecord, now: Date): void {
  const kept = Object.entries(ctx.session.inlineInvoices ?? {}).filter(
    ([, entry]) => now.getTime() - entry.at <= INLINE_REUSE_MS,
  );
  ctx.session.inlineInvoices = Object.fromEntries([
    ...kept,
    [key, { invoiceId: invoice.id, slug: invoice.slug, at: now.getTime() }],
  ]);
}

/** A text-only result: help, a refusal, or the way to a wallet. */
function article(id: string, title: string, text: string, description?: string): InlineQueryResult {
  return {
    type: 'article',
    id,
    title,
    ...(description ? { description } : {}),
    input_message_content: { message_text: text, parse_mode: 'HTML' },
  };
}

/** The result carrying the invoice: a Stars invoice Telegram can pay in place, or the card text. */
function invoiceResult(ctx: BotContext, invoice: InvoiceRecord): InlineQueryResult {
  const amount = invoiceAmountText(invoice, ctx.deps.evmTokens);
  const title = ctx.t('inline-invoice-title', { amount, asset: invoiceAssetText(invoice) });
  const id = `${RESULT_PREFIX}${invoice.slug}`;
  if (invoice.rail === 'STARS')
    return {
      type: 'article',
      id,
      title,
      description: invoice.description || ctx.t('invoice-network-stars'),
      input_message_content: {
        title: ctx.t('invoice-stars-title'),
        description: invoice.description || ctx.t('invoice-stars-default-description', { amount }),
        payload: invoice.slug,
        currency: STARS_CURRENCY,
        prices: [{ label: ctx.t('invoice-stars-price-label'), amount: Number(invoice.amountBase) }],
      },
    };
  const links = linksOf(invoice, ctx.deps, ctx.me.username, ctx.t);
  return {
    type: 'article',
    id,
    title,
    description: invoice.description || undefined,
    input_message_content: {
      message_text: renderInvoiceCard(invoice, {
        t: ctx.t,
        now: new Date(),
        knownTokens: ctx.deps.evmTokens,
        deepLink: links.deepLink,
      }),
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    },
    reply_markup: invoiceCardKeyboard(links, ctx.t),
  };
}

/**
 * Inline mode: `@bot 10 XLM coffee` in any chat offers the invoice card to send there. The invoice
 * is the querying user's (created, or reused for the same text within a few minutes); text that is
 * not a request yet gets a help result, a refused request says why, and a user without a wallet is
 * pointed to the bot. Answers are personal and cached briefly.
 */
export function inlineInvoicesFeature(): FlatComposer<BotContext> {
  const composer = new FlatComposer<BotContext>();

  composer.on('inline_query', async (ctx) => {
    const text = ctx.inlineQuery.query.trim();
    const answer = (results: InlineQueryResult[], withStartButton = false) =>
      ctx.answerInlineQuery(results, {
        cache_time: INLINE_CACHE_SECONDS,
        is_personal: true,
        ...(withStartButton
          ? { button: { text: ctx.t('inline-start-button'), start_parameter: START_FROM_INLINE } }
          : {}),
      });
    const help = () =>
      answer([
        article(
          'help',
          ctx.t('inline-help-title'),
          ctx.t('inline-help-text', { bot: ctx.me.username }),
          ctx.t('inline-help-description'),
        ),
      ]);
    const noWallet = () =>
      answer(
        [
          article(
            'no-wallet',
            ctx.t('inline-no-wallet-title'),
            ctx.t('inline-no-wallet-text', { bot: ctx.me.username }),
          ),
        ],
        true,
      );

    let request: InvoiceRequestText;
    try {
      request = parseInvoiceRequest(text);
    } catch {
      return void (await help());
    }
    const payee = await ctx.deps.users.findByTelegramId(BigInt(ctx.from.id));
    if (!payee) return void (await noWallet());
    const now = new Date();
    const key = reuseKey(request);
    let invoice = await reusableInvoice(ctx, key, now);
    if (!invoice) {
      try {
        invoice = await createInvoiceFromText(payee.id, text, now, invoiceDepsOf(ctx.deps));
      } catch (error) {
        if (
          error instanceof InvoiceRefusedError &&
          (error.refusal === 'no-wallet' || error.refusal === 'wallet-not-active')
        )
          return void (await noWallet());
        const refusalKey = invoiceRefusalKey(error);
        if (!refusalKey) throw error;
        const asset = error instanceof InvoiceRefusedError ? error.asset : '';
        const reason = ctx.t(refusalKey, { asset });
        return void (await answer([article('refused', ctx.t('inline-refused-title'), reason, reason)]));
      }
      ctx.log.info({ invoiceId: invoice.id, rail: invoice.rail }, 'invoice created in inline mode');
      rememberInvoice(ctx, key, invoice, now);
    }
    await answer([invoiceResult(ctx, invoice)]);
  });

  // Inline feedback on: the card was sent, so the next query for the same text makes a new invoice.
  composer.on('chosen_inline_result', async (ctx) => {
    const resultId = ctx.chosenInlineResult.result_id;
    const cached = ctx.session.inlineInvoices;
    if (!resultId.startsWith(RESULT_PREFIX) || !cached) return;
    const slug = resultId.slice(RESULT_PREFIX.length);
    ctx.log.info({ slug }, 'inline invoice sent');
    ctx.session.inlineInvoices = Object.fromEntries(
      Object.entries(cached).filter(([, entry]) => entry.slug !== slug),
    );
  });

  return composer;
}
