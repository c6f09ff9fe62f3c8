import type { CommandContext } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import type { BotContext, BotDeps } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';
import { formatDecimalAmount } from '../../core/domain/amounts.ts';
import { paymentIntentKey } from '../../core/domain/intent-keys.ts';
import type { InvoiceRecord, PaymentAsset, PendingActionRecord, UserRecord } from '../../core/ports.ts';
import {
  invoicePayability,
  invoiceSlugFromStartPayload,
  STARS_CURRENCY,
} from '../../core/services/invoices.ts';
import {
  PAY_INVOICE_ACTION_KIND,
  escapeTelegramHtml,
  invoiceDecimals,
  invoiceNetworkText,
  invoicePayActionId,
} from '../../core/services/invoice-card.ts';
import { bindPendingAction } from '../../core/services/pending-actions.ts';
import {
  serializePaymentDraft,
  validateSend,
  type PaymentDraft,
} from '../../core/services/send-validation.ts';
import { confirmKeyboard } from '../keyboards/confirm.ts';
import { refusalText, renderPaymentSummary } from '../conversations/payment-text.ts';
import { isUniqueViolation, refreshInvoiceCard, sendInvoiceCard } from './invoices.ts';

/**
 * How many confirmations one payer may open for one invoice over its life (each expired unused,
 * cancelled or failed before the next): plenty for a person, a bound for a script.
 */
const MAX_PAY_ATTEMPTS = 20;

/** Where a payer stands with an invoice: a free confirmation slot, an open one, or a payment under way. */
type PaySlot =
  | { kind: 'free'; id: string }
  | { kind: 'open'; action: PendingActionRecord }
  | { kind: 'paying' }
  | { kind: 'exhausted' };

/**
 * Finds the payer's current confirmation slot of an invoice. Slots are derived ids
 * ({@link invoicePayActionId}), tried in order: an unused unexpired one is still open; a used one
 * whose payment intent exists and has not failed means the payment is under way (or done); an
 * expired, cancelled or failed one gives way to the next.
 */
async function findPaySlot(
  deps: BotDeps,
  invoiceId: string,
  payerTelegramId: bigint,
  now: Date,
): Promise<PaySlot> {
  for (let attempt = 0; attempt < MAX_PAY_ATTEMPTS; attempt++) {
    const id = invoicePayActionId(invoiceId, payerTelegramId, attempt);
    const action = await deps.pendingActions.findById(id);
    if (!action) return { kind: 'free', id };
    if (action.usedAt === null) {
      if (action.expiresAt > now) return { kind: 'open', action };
      continue;
    }
    const intent = await deps.paymentIntents.findByKey(paymentIntentKey(id));
    if (intent && intent.status !== 'FAILED') return { kind: 'paying' };
  }
  return { kind: 'exhausted' };
}

/** The payment asset an on-chain invoice asks for. */
function assetOf(invoice: InvoiceRecord): PaymentAsset {
  return invoice.rail === 'STELLAR'
    ? { chain: 'STELLAR', code: invoice.assetCode, issuer: invoice.assetIssuer }
    : { chain: 'EVM', chainId: invoice.chainId ?? 0, code: invoice.assetCode, issuer: invoice.assetIssuer };
}

/** Stars: Telegram's own invoice in the payer's chat, with its Pay button; the payload is the slug. */
async function sendStarsInvoice(ctx: CommandContext<BotContext>, invoice: InvoiceRecord): Promise<void> {
  const amount = invoice.amountBase.toString();
  await ctx.replyWithInvoice(
    ctx.t('invoice-stars-title'),
    invoice.description || ctx.t('invoice-stars-default-description', { amount }),
    invoice.slug,
    STARS_CURRENCY,
    [{ label: ctx.t('invoice-stars-price-label'), amount: Number(invoice.amountBase) }],
  );
}

/**
 * On-chain: checks the payment from the payer's platform wallet exactly as /send would (balance,
 * reserve, trustline, memo) and shows the summary with Confirm / Cancel. The pending action behind
 * the buttons holds the whole payment (payee address, exact amount, token or issuer, the invoice's
 * MEMO_ID, the invoice id) and is bound to the payer, this chat and the summary message.
 */
async function offerInvoicePayment(
  ctx: CommandContext<BotContext>,
  invoice: InvoiceRecord,
  payer: UserRecord,
): Promise<void> {
  const { deps } = ctx;
  const now = new Date();
  const payerTelegramId = payer.telegramId;
  const slot = await findPaySlot(deps, invoice.id, payerTelegramId, now);
  if (slot.kind === 'open') {
    const replyTo = slot.action.messageId
      ? { reply_parameters: { message_id: slot.action.messageId, allow_sending_without_reply: true } }
      : {};
    return void (await ctx.reply(ctx.t('invoice-pay-already-open'), replyTo));
  }
  if (slot.kind === 'paying') return void (await ctx.reply(ctx.t('invoice-pay-in-progress')));
  if (slot.kind === 'exhausted') return void (await ctx.reply(ctx.t('invoice-pay-too-many-attempts')));

  const asset = assetOf(invoice);
  const validation = await validateSend(
    {
      userId: payer.id,
      wallets: await deps.wallets.listByUser(payer.id),
      asset,
      amount: formatDecimalAmount(invoice.amountBase, invoiceDecimals(invoice, deps.evmTokens)),
      destination: invoice.payeeAddress ?? '',
      memo: invoice.rail === 'STELLAR' ? invoice.memoId.toString() : null,
    },
    deps,
  );
  if (!validation.ok) {
    const { refusal } = validation;
    ctx.log.info({ invoiceId: invoice.id, refusal: refusal.code }, 'invoice payment not offered');
    const text =
      refusal.code === 'source-not-ready'
        ? ctx.t('invoice-pay-need-wallet', { network: invoiceNetworkText(invoice, ctx.t) })
        : refusalText(refusal, ctx.t, asset.code);
    return void (await ctx.reply(text, { parse_mode: 'HTML' }));
  }
  const draft: PaymentDraft = {
    ...validation.draft,
    invoiceId: invoice.id,
    recipientUserId: invoice.payeeUserId,
  };
  // The confirmation never outlives the invoice.
  const expiresAt = new Date(
    Math.min(now.getTime() + deps.confirmTtlSeconds * 1000, invoice.expiresAt.getTime()),
  );
  try {
    await deps.pendingActions.insert({
      id: slot.id,
      kind: PAY_INVOICE_ACTION_KIND,
      telegramUserId: payerTelegramId,
      chatId: BigInt(ctx.chat.id),
      messageId: null,
      payload: serializePaymentDraft(draft),
      expiresAt,
    });
  } catch (error) {
    // Another Pay press of this payer got the slot a moment ago: its summary is on its way.
    if (isUniqueViolation(error)) return void (await ctx.reply(ctx.t('invoice-pay-already-open')));
    throw error;
  }
  const ttlSeconds = Math.max(1, Math.round((expiresAt.getTime() - now.getTime()) / 1000));
  const heading = [ctx.t('invoice-pay-heading')];
  if (invoice.description)
    heading.push(ctx.t('invoice-card-description', { description: escapeTelegramHtml(invoice.description) }));
  const message = await ctx.reply(
    `${heading.join('\n')}\n\n${renderPaymentSummary(draft, ctx.t, ttlSeconds)}`,
    {
      parse_mode: 'HTML',
      reply_markup: confirmKeyboard(slot.id, ctx.t),
    },
  );
  await bindPendingAction(deps.pendingActions, slot.id, BigInt(ctx.chat.id), message.message_id);
  ctx.log.info({ invoiceId: invoice.id, actionId: slot.id }, 'invoice payment offered');
}

/**
 * `/start inv_<slug>`: where the card's Pay button (a deep link) lands, in the payer's private chat.
 * Unknown, paid, cancelled and expired invoices are refused (and the payee's card refreshed);
 * the payee sees their own card instead of paying it; Stars invoices get Telegram's invoice;
 * on-chain ones the confirm step. Other `/start` payloads go on to the next feature.
 */
export function invoiceStartFeature(i18n: I18n<BotContext>): FlatComposer<BotContext> {
  const composer = new FlatComposer<BotContext>();
  composer.chatType('private').command('start', async (ctx, next) => {
    const slug = invoiceSlugFromStartPayload(ctx.match.trim());
    if (slug === null) return next();
    const { deps } = ctx;
    const payer = await deps.users.ensure(BigInt(ctx.from.id), await ctx.i18n.getLocale());
    const invoice = await deps.invoices.findBySlug(slug);
    if (!invoice) return void (await ctx.reply(ctx.t('invoice-not-found')));
    if (invoice.payeeUserId === payer.id) {
      await sendInvoiceCard(ctx, invoice, { cancellable: true });
      return void (await ctx.reply(ctx.t('invoice-own')));
    }
    const payability = invoicePayability(invoice, new Date());
    if (payability !== 'payable') {
      await refreshInvoiceCard(ctx.api, i18n, deps, invoice, ctx.log);
      return void (await ctx.reply(ctx.t(`invoice-not-payable-${payability}`)));
    }
    if (invoice.rail === 'STARS') return sendStarsInvoice(ctx, invoice);
    await offerInvoicePayment(ctx, invoice, payer);
  });
  return composer;
}
