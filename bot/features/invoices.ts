import { InputFile, type Api, type CallbackQueryContext } from 'grammy';
import type { I18n } from '@grammyjs/i18n';
import { z } from 'zod';
import type { BotContext, BotDeps } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';
import { DEFAULT_LANGUAGE } from '../../core/domain/languages.ts';
import { InvoiceRequestError } from '../../core/domain/invoice-request.ts';
import type { InvoiceRecord, PendingActionRecord } from '../../core/ports.ts';
import {
  createInvoiceFromText,
  InvoiceRefusedError,
  invoicePayability,
  type InvoiceDeps,
} from '../../core/services/invoices.ts';
import {
  INVOICE_CANCEL_ACTION_KIND,
  INVOICE_CANCEL_CHOICE,
  PAY_INVOICE_ACTION_KIND,
  invoiceAmountText,
  invoiceAssetText,
  invoiceCancelActionId,
  invoiceLinks,
  invoiceQrPng,
  renderInvoiceCard,
  type InvoiceLinks,
} from '../../core/services/invoice-card.ts';
import {
  PENDING_ACTION_DATA,
  bindPendingAction,
  consumePendingAction,
  parsePendingActionCallbackData,
  type PendingActionRefusal,
} from '../../core/services/pending-actions.ts';
import { parsePaymentDraft } from '../../core/services/send-validation.ts';
import type { Translate } from '../../core/services/wallet-card.ts';
import { CONFIRM_CHOICE } from '../keyboards/confirm.ts';
import { invoiceCardKeyboard } from '../keyboards/invoice.ts';
import { handlePaymentPress } from './payment-confirm.ts';

/** Postgres' unique violation as Prisma reports it. */
const UNIQUE_VIOLATION = 'P2002';

/** Whether `error` is a unique-key violation (a row with that id exists already). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === UNIQUE_VIOLATION;
}

/** What the invoice use cases need, taken from the bot's dependencies. */
export function invoiceDepsOf(deps: BotDeps): InvoiceDeps {
  return {
    invoices: deps.invoices,
    wallets: deps.wallets,
    stellar: deps.stellar,
    settings: {
      evmChainId: deps.evmChainId,
      knownTokens: deps.evmTokens,
      invoiceTtlMinutes: deps.invoiceTtlMinutes,
    },
  };
}

/** Every link of `invoice`'s card, with the share text in the language of `t`. */
export function linksOf(
  invoice: InvoiceRecord,
  deps: Pick<BotDeps, 'publicUrl' | 'evmTokens'>,
  botUsername: string,
  t: Translate,
): InvoiceLinks {
  const shareText = t('invoice-share-text', {
    amount: invoiceAmountText(invoice, deps.evmTokens),
    asset: invoiceAssetText(invoice),
    description: invoice.description || '-',
  });
  return invoiceLinks(invoice, { botUsername, publicUrl: deps.publicUrl }, shareText);
}

/** The localized message key of a refused `/request`, or null when `error` is not a refusal. */
export function invoiceRefusalKey(error: unknown): string | null {
  if (error instanceof InvoiceRequestError) return `invoice-refusal-${error.problem}`;
  if (error instanceof InvoiceRefusedError) return `invoice-refusal-${error.refusal}`;
  return null;
}

/**
 * Puts the Cancel action of `invoice` in place for a card about to be sent to `chatId`, unless a
 * card of this invoice already has it (one cancellable card per invoice). Returns its id or null.
 */
async function reserveCancelAction(
  deps: BotDeps,
  invoice: InvoiceRecord,
  payeeTelegramId: bigint,
  chatId: bigint,
): Promise<string | null> {
  const id = invoiceCancelActionId(invoice.id);
  try {
    await deps.pendingActions.insert({
      id,
      kind: INVOICE_CANCEL_ACTION_KIND,
      telegramUserId: payeeTelegramId,
      chatId,
      messageId: null,
      payload: { invoiceId: invoice.id },
      expiresAt: invoice.expiresAt,
    });
    return id;
  } catch (error) {
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}

/**
 * Sends the invoice card into the current chat: a QR picture (of the SEP-7/EIP-681 URI, or of the
 * deep link for Stars) captioned with the invoice, and its buttons. With `cancellable` and the
 * sender being the payee, the card gets the Cancel button bound to the payee and this message.
 */
export async function sendInvoiceCard(
  ctx: BotContext,
  invoice: InvoiceRecord,
  options: { cancellable: boolean },
): Promise<void> {
  const chatId = ctx.chat?.id;
  if (chatId === undefined || !ctx.from) throw new Error('an invoice card needs a chat and a user');
  const now = new Date();
  const links = linksOf(invoice, ctx.deps, ctx.me.username, ctx.t);
  const payable = invoicePayability(invoice, now) === 'payable';
  const cancelId =
    options.cancellable && payable
      ? await reserveCancelAction(ctx.deps, invoice, BigInt(ctx.from.id), BigInt(chatId))
      : null;
  const caption = renderInvoiceCard(invoice, { t: ctx.t, now, knownTokens: ctx.deps.evmTokens });
  const message = await ctx.replyWithPhoto(
    new InputFile(await invoiceQrPng(links.qrText), `invoice-${invoice.slug}.png`),
    {
      caption,
      parse_mode: 'HTML',
      reply_markup: payable ? invoiceCardKeyboard(links, ctx.t, cancelId) : undefined,
    },
  );
  if (cancelId)
    await bindPendingAction(ctx.deps.pendingActions, cancelId, BigInt(chatId), message.message_id);
}

/**
 * Brings the payee's card of `invoice` up to date once it is no longer payable: the caption shows
 * the new status and the buttons go. The card is found through its Cancel action; an invoice
 * without a cancellable card (made in inline mode) has nothing to refresh. Best effort: a failed
 * edit (message deleted, unchanged) is logged, never a reason to fail the caller.
 */
export async function refreshInvoiceCard(
  api: Api,
  i18n: I18n<BotContext>,
  deps: BotDeps,
  invoice: InvoiceRecord,
  log = deps.logger,
): Promise<void> {
  const now = new Date();
  if (invoicePayability(invoice, now) === 'payable') return;
  const action = await deps.pendingActions.findById(invoiceCancelActionId(invoice.id));
  if (!action || action.messageId === null) return;
  const payee = await deps.users.findById(invoice.payeeUserId);
  const locale = payee?.languageCode ?? DEFAULT_LANGUAGE;
  const t: Translate = (key, variables) => i18n.t(locale, key, variables);
  const caption = renderInvoiceCard(invoice, { t, now, knownTokens: deps.evmTokens });
  await api
    .editMessageCaption(Number(action.chatId), action.messageId, {
      caption,
      parse_mode: 'HTML',
      reply_markup: { inline_keyboard: [] },
    })
    .catch((error: unknown) =>
      log.debug({ err: error, invoiceId: invoice.id }, 'invoice card not refreshed'),
    );
}

const cancelPayload = z.object({ invoiceId: z.uuid() });

const pressRefusalKeys: Record<PendingActionRefusal, string> = {
  unknown: 'invoice-press-unknown',
  'wrong-message': 'invoice-press-unknown',
  used: 'invoice-press-used',
  expired: 'invoice-press-expired',
  'not-yours': 'invoice-press-not-yours',
};

/** The payee's Cancel on a card: single use, the payee's only, on that card only. */
async function handleCancelPress(
  ctx: CallbackQueryContext<BotContext>,
  i18n: I18n<BotContext>,
  press: { id: string; choice: string },
): Promise<void> {
  const message = ctx.callbackQuery.message;
  if (!message || press.choice !== INVOICE_CANCEL_CHOICE)
    return void (await ctx.answerCallbackQuery({ text: ctx.t('invoice-press-unknown') }));
  const result = await consumePendingAction(ctx.deps.pendingActions, {
    id: press.id,
    kind: INVOICE_CANCEL_ACTION_KIND,
    telegramUserId: BigInt(ctx.from.id),
    chatId: BigInt(message.chat.id),
    messageId: message.message_id,
    now: new Date(),
  });
  if (!result.ok) {
    ctx.log.info({ reason: result.reason }, 'invoice cancel press refused');
    return void (await ctx.answerCallbackQuery({ text: ctx.t(pressRefusalKeys[result.reason]) }));
  }
  const { invoiceId } = cancelPayload.parse(result.action.payload);
  const invoice = await ctx.deps.invoices.findById(invoiceId);
  if (!invoice) return void (await ctx.answerCallbackQuery({ text: ctx.t('invoice-not-found') }));
  const cancelled = await ctx.deps.invoices.cancel(invoice.id, invoice.payeeUserId);
  ctx.log.info({ invoiceId, cancelled }, 'invoice cancel pressed');
  await ctx.answerCallbackQuery({
    text: ctx.t(cancelled ? 'invoice-cancelled' : 'invoice-cancel-not-open'),
  });
  const current = (await ctx.deps.invoices.findById(invoice.id)) ?? invoice;
  await refreshInvoiceCard(ctx.api, i18n, ctx.deps, current, ctx.log);
}

/**
 * A press on the Confirm / Cancel of an invoice payment. Before the shared payment path takes it,
 * a Confirm by the payer is checked against the invoice as it is now: one that was paid, cancelled
 * or expired since the summary was shown uses the button up and pays nothing. Everything else
 * (foreign, repeated, late, forged presses; Cancel) is decided by the shared path.
 */
async function handlePayPress(
  ctx: CallbackQueryContext<BotContext>,
  stored: PendingActionRecord,
  press: { id: string; choice: string },
): Promise<void> {
  const message = ctx.callbackQuery.message;
  const byPayer = stored.telegramUserId === BigInt(ctx.from.id) && stored.usedAt === null;
  if (message && press.choice === CONFIRM_CHOICE && byPayer) {
    const draft = parsePaymentDraft(stored.payload);
    const invoice = draft.invoiceId ? await ctx.deps.invoices.findById(draft.invoiceId) : null;
    const payability = invoice ? invoicePayability(invoice, new Date()) : 'cancelled';
    if (payability !== 'payable') {
      const used = await consumePendingAction(ctx.deps.pendingActions, {
        id: press.id,
        kind: PAY_INVOICE_ACTION_KIND,
        telegramUserId: BigInt(ctx.from.id),
        chatId: BigInt(message.chat.id),
        messageId: message.message_id,
        now: new Date(),
      });
      ctx.log.info(
        { invoiceId: draft.invoiceId, payability, consumed: used.ok },
        'invoice payment refused at confirm',
      );
      const text = ctx.t(`invoice-not-payable-${payability}`);
      await ctx.answerCallbackQuery({ text, show_alert: true });
      if (used.ok) await ctx.editMessageText(text).catch(() => undefined);
      return;
    }
  }
  await handlePaymentPress(ctx, PAY_INVOICE_ACTION_KIND, press);
}

/**
 * `/request <amount> <asset> [description]` in any chat: creates the invoice and answers with its
 * card. Also takes the presses of the buttons invoices put behind `pa:` callback data (the payee's
 * Cancel, a payer's Confirm / Cancel); presses of other kinds go on to the next feature.
 */
export function invoicesFeature(i18n: I18n<BotContext>): FlatComposer<BotContext> {
  const composer = new FlatComposer<BotContext>();

  composer.command('request', async (ctx) => {
    if (!ctx.from) return;
    const text = ctx.match.trim();
    const replyTo = {
      reply_parameters: { message_id: ctx.msg.message_id, allow_sending_without_reply: true },
    };
    if (!text) return void (await ctx.reply(ctx.t('invoice-usage'), { parse_mode: 'HTML', ...replyTo }));
    const payee = await ctx.deps.users.ensure(BigInt(ctx.from.id), await ctx.i18n.getLocale());
    let invoice: InvoiceRecord;
    try {
      invoice = await createInvoiceFromText(payee.id, text, new Date(), invoiceDepsOf(ctx.deps));
    } catch (error) {
      const key = invoiceRefusalKey(error);
      if (!key) throw error;
      const asset = error instanceof InvoiceRefusedError ? error.asset : '';
      return void (await ctx.reply(ctx.t(key, { asset }), { parse_mode: 'HTML', ...replyTo }));
    }
    ctx.log.info({ invoiceId: invoice.id, rail: invoice.rail }, 'invoice created');
    await sendInvoiceCard(ctx, invoice, { cancellable: true });
  });

  composer.callbackQuery(PENDING_ACTION_DATA, async (ctx, next) => {
    const press = parsePendingActionCallbackData(ctx.callbackQuery.data);
    if (!press) return next();
    const stored = await ctx.deps.pendingActions.findById(press.id);
    if (stored?.kind === INVOICE_CANCEL_ACTION_KIND) return handleCancelPress(ctx, i18n, press);
    if (stored?.kind === PAY_INVOICE_ACTION_KIND) return handlePayPress(ctx, stored, press);
    return next();
  });

  return composer;
}
