import type { Api } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import type { BotContext } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';
import type { InvoiceRepository } from '../../core/ports.ts';
import {
  decideStarsPreCheckout,
  recordStarsPayment,
  refundStarsPayment,
  STARS_CURRENCY,
  type PreCheckoutDecision,
} from '../../core/services/invoices.ts';
import { escapeTelegramHtml } from '../../core/services/invoice-card.ts';
import { queueStagedNotifications } from '../../core/services/notification-outbox.ts';
import { refreshInvoiceCard } from './invoices.ts';

/**
 * Telegram cancels a purchase whose pre-checkout is not answered within 10 s. If our stores are
 * this slow, we refuse (the payer can try again) rather than let the answer come too late.
 */
const PRE_CHECKOUT_DEADLINE_MS = 6_000;

/** Why a pre-checkout was refused, as the payer is told (Telegram shows `error_message`). */
type PreCheckoutRefusal = Extract<PreCheckoutDecision, { ok: false }>['reason'] | 'own' | 'busy';

/**
 * Refunds a Stars charge through Telegram and records it; safe to repeat (see
 * {@link refundStarsPayment}). For admin commands: the bot process owns the Bot API token.
 */
export function refundStarsCharge(
  api: Pick<Api, 'refundStarPayment'>,
  invoices: InvoiceRepository,
  chargeId: string,
  now = new Date(),
): Promise<'refunded' | 'already-refunded' | 'unknown-charge'> {
  return refundStarsPayment(chargeId, now, {
    invoices,
    refund: async (payerTelegramId, charge) => {
      await api.refundStarPayment(Number(payerTelegramId), charge);
    },
  });
}

/**
 * Telegram Stars payments of invoices: `pre_checkout_query` is answered at once (two indexed reads),
 * refusing unknown, closed, mismatched or own invoices; `successful_payment` is credited once per
 * `telegram_payment_charge_id` (a redelivery does nothing more), the payer is thanked and the
 * payee's `invoice-paid` notification is queued for the worker. Telegram's `refunded_payment`
 * notice marks the charge refunded.
 */
export function starsFeature(i18n: I18n<BotContext>): FlatComposer<BotContext> {
  const composer = new FlatComposer<BotContext>();

  composer.on('pre_checkout_query', async (ctx) => {
    const query = ctx.preCheckoutQuery;
    const decide = async (): Promise<{ ok: true } | { ok: false; reason: PreCheckoutRefusal }> => {
      const [invoice, payer] = await Promise.all([
        ctx.deps.invoices.findBySlug(query.invoice_payload),
        ctx.deps.users.findByTelegramId(BigInt(query.from.id)),
      ]);
      const decision = await decideStarsPreCheckout(
        { invoicePayload: query.invoice_payload, currency: query.currency, totalAmount: query.total_amount },
        new Date(),
        { findBySlug: async () => invoice },
      );
      if (decision.ok && invoice && payer && payer.id === invoice.payeeUserId)
        return { ok: false, reason: 'own' };
      return decision;
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<{ ok: false; reason: 'busy' }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: 'busy' }), PRE_CHECKOUT_DEADLINE_MS);
    });
    const decision = await Promise.race([decide(), deadline]).finally(() => clearTimeout(timer));
    ctx.log.info({ slug: query.invoice_payload, decision }, 'stars pre-checkout answered');
    if (decision.ok) await ctx.answerPreCheckoutQuery(true);
    else
      await ctx.answerPreCheckoutQuery(false, {
        error_message: ctx.t(`invoice-precheckout-${decision.reason}`),
      });
  });

  composer.on('message:successful_payment', async (ctx, next) => {
    const payment = ctx.message.successful_payment;
    if (payment.currency !== STARS_CURRENCY) return next();
    const { outcome, invoice, staged } = await recordStarsPayment(
      {
        chargeId: payment.telegram_payment_charge_id,
        invoicePayload: payment.invoice_payload,
        payerTelegramId: BigInt(ctx.from.id),
        totalAmount: payment.total_amount,
      },
      new Date(),
      ctx.deps,
    );
    const log = ctx.log.child({
      chargeId: payment.telegram_payment_charge_id,
      outcome,
      invoiceId: invoice?.id,
    });
    log.info('stars payment received');
    if (outcome === 'duplicate') return;
    if (outcome === 'unknown-invoice' || !invoice) {
      log.error('stars payment for an unknown invoice');
      return void (await ctx.reply(ctx.t('invoice-stars-unknown')));
    }
    const variables = {
      amount: payment.total_amount,
      description: escapeTelegramHtml(invoice.description || '-'),
    };
    if (outcome === 'not-settled') {
      log.warn('stars payment for an invoice that was no longer open');
      return void (await ctx.reply(ctx.t('invoice-stars-not-settled', variables), { parse_mode: 'HTML' }));
    }
    if (staged)
      await queueStagedNotifications(staged, {
        jobs: ctx.deps.jobs,
        outbox: ctx.deps.notificationOutbox,
        logger: log,
      });
    await ctx.reply(ctx.t('invoice-stars-thanks', variables), { parse_mode: 'HTML' });
    await refreshInvoiceCard(ctx.api, i18n, ctx.deps, invoice, log);
  });

  // Telegram's notice of a refund (ours, or one made outside the bot): recorded, and not answered,
  // since the payer's app already shows it.
  composer.on('message:refunded_payment', async (ctx, next) => {
    const refund = ctx.message.refunded_payment;
    if (refund.currency !== STARS_CURRENCY) return next();
    const recorded = await ctx.deps.invoices.markStarPaymentRefunded(
      refund.telegram_payment_charge_id,
      new Date(),
    );
    ctx.log.info({ chargeId: refund.telegram_payment_charge_id, recorded }, 'stars refund noticed');
  });

  return composer;
}
