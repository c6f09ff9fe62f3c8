import type { CallbackQueryContext } from 'grammy';
import type { BotContext } from '../context.ts';
import { FlatComposer } from '../middlewares/flat-composer.ts';
import { paymentIntentKey } from '../../core/domain/intent-keys.ts';
import {
  PENDING_ACTION_DATA,
  bindPendingAction,
  consumePendingAction,
  createPendingAction,
  parsePendingActionCallbackData,
  type PendingActionRefusal,
} from '../../core/services/pending-actions.ts';
import { submitPaymentOrder } from '../../core/services/payment-orders.ts';
import {
  parsePaymentDraft,
  paymentOrderOf,
  serializePaymentDraft,
  type PaymentDraft,
} from '../../core/services/send-validation.ts';
import { CANCEL_CHOICE, CONFIRM_CHOICE, confirmKeyboard } from '../keyboards/confirm.ts';
import { formatAmount, recipientText, renderPaymentSummary } from '../conversations/payment-text.ts';

/** Pending-action kind of a payment composed with /send. */
export const SEND_ACTION_KIND = 'send';

/**
 * Shows `draft` with Confirm / Cancel buttons in `chatId` (default: the current chat) and stores the
 * one pending action behind both buttons: payload the draft, bound to the pressing user, the chat
 * and the summary message, valid for CONFIRM_TTL_SECONDS. `kind` routes the press back to
 * {@link paymentConfirmFeature}; `text` replaces the standard summary (e.g. an invoice's).
 */
export async function offerPaymentConfirmation(
  ctx: BotContext,
  draft: PaymentDraft,
  options: { kind: string; chatId?: number; text?: string },
): Promise<{ actionId: string; messageId: number }> {
  const { pendingActions, confirmTtlSeconds } = ctx.deps;
  const chatId = options.chatId ?? ctx.chat?.id;
  if (!ctx.from || chatId === undefined) throw new Error('a payment confirmation needs a user and a chat');
  const action = await createPendingAction(pendingActions, {
    kind: options.kind,
    telegramUserId: BigInt(ctx.from.id),
    chatId: BigInt(chatId),
    payload: serializePaymentDraft(draft),
    ttlSeconds: confirmTtlSeconds,
    now: new Date(),
  });
  const message = await ctx.api.sendMessage(
    chatId,
    options.text ?? renderPaymentSummary(draft, ctx.t, confirmTtlSeconds),
    { parse_mode: 'HTML', reply_markup: confirmKeyboard(action.id, ctx.t) },
  );
  await bindPendingAction(pendingActions, action.id, BigInt(chatId), message.message_id);
  return { actionId: action.id, messageId: message.message_id };
}

const refusalKeys: Record<PendingActionRefusal, string> = {
  unknown: 'send-press-unknown',
  'wrong-message': 'send-press-unknown',
  used: 'send-press-used',
  expired: 'send-press-expired',
  'not-yours': 'send-press-not-yours',
};

/** Tells the presser, in their language, why nothing happened; nothing else is done. */
async function refusePress(ctx: BotContext, reason: PendingActionRefusal): Promise<void> {
  await ctx.answerCallbackQuery({ text: ctx.t(refusalKeys[reason]) });
}

/** Edits the summary message in place; a failed edit is logged, never a reason to stop the payment. */
async function editStatus(ctx: BotContext, text: string): Promise<void> {
  await ctx.editMessageText(text, { parse_mode: 'HTML' }).catch((error: unknown) => {
    ctx.log.warn({ err: error }, 'payment status message not edited');
  });
}

/**
 * The Confirm path of every payment button, whatever composed the payment (/send, an invoice's
 * Pay): consumes the pending action `press.id` of `kind` (atomic: of two presses one wins), then on
 * Confirm turns the summary into the status message ("Signing…") and records and queues the payment
 * with the key `paymentIntentKey(actionId)`; on Cancel marks the summary cancelled. A press that is
 * forged, foreign, late, repeated or on another message is answered and changes nothing.
 */
export async function handlePaymentPress(
  ctx: CallbackQueryContext<BotContext>,
  kind: string,
  press: { id: string; choice: string },
): Promise<void> {
  const message = ctx.callbackQuery.message;
  if (!message || (press.choice !== CONFIRM_CHOICE && press.choice !== CANCEL_CHOICE))
    return refusePress(ctx, 'unknown');
  const result = await consumePendingAction(ctx.deps.pendingActions, {
    id: press.id,
    kind,
    telegramUserId: BigInt(ctx.from.id),
    chatId: BigInt(message.chat.id),
    messageId: message.message_id,
    now: new Date(),
  });
  if (!result.ok) {
    ctx.log.info({ reason: result.reason, kind }, 'payment press refused');
    return refusePress(ctx, result.reason);
  }
  const draft = parsePaymentDraft(result.action.payload);
  const summary = {
    amount: formatAmount(draft.amountBase, draft.decimals),
    asset: draft.asset.code,
    recipient: recipientText(draft),
  };
  await ctx.answerCallbackQuery();
  if (press.choice === CANCEL_CHOICE) {
    await editStatus(ctx, ctx.t('send-status-cancelled', summary));
    return;
  }
  // The status message says "Signing…" before the job exists: the worker's later edits
  // (submitted, confirmed) can then never be overwritten by this one.
  await editStatus(ctx, ctx.t('send-status-signing', summary));
  const order = paymentOrderOf(draft, {
    key: paymentIntentKey(result.action.id),
    statusChatId: BigInt(message.chat.id),
    statusMessageId: message.message_id,
  });
  try {
    await submitPaymentOrder(order, ctx.deps);
  } catch (error) {
    // Not recorded: nothing will ever be sent, and the button is used up, so say so. Recorded but
    // not queued: the payment exists and must not be reported as abandoned.
    if ((await ctx.deps.paymentIntents.findByKey(order.key).catch(() => null)) !== null) throw error;
    ctx.log.error({ err: error, intentKey: order.key }, 'payment not recorded');
    await editStatus(ctx, ctx.t('send-status-not-started'));
    return;
  }
  ctx.log.info({ intentKey: order.key, kind }, 'payment confirmed and queued');
}

/**
 * Routes presses of `pa:` buttons whose pending action is of one of `kinds` to
 * {@link handlePaymentPress}. Presses of other kinds go on to the next middleware (another
 * feature's buttons); malformed or unknown ids are answered here.
 */
export function paymentConfirmFeature(
  kinds: readonly string[] = [SEND_ACTION_KIND],
): FlatComposer<BotContext> {
  const composer = new FlatComposer<BotContext>();
  composer.callbackQuery(PENDING_ACTION_DATA, async (ctx, next) => {
    const press = parsePendingActionCallbackData(ctx.callbackQuery.data);
    if (!press) return refusePress(ctx, 'unknown');
    const stored = await ctx.deps.pendingActions.findById(press.id);
    if (!stored) return refusePress(ctx, 'unknown');
    if (!kinds.includes(stored.kind)) return next();
    await handlePaymentPress(ctx, stored.kind, press);
  });
  return composer;
}
