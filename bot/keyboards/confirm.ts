import { InlineKeyboard } from 'grammy';
import { pendingActionCallbackData } from '../../core/services/pending-actions.ts';
import type { Translate } from '../conversations/payment-text.ts';

/** The choice a Confirm button carries in its `callback_data` (`pa:<id>:ok`). */
export const CONFIRM_CHOICE = 'ok';
/** The choice a Cancel button carries in its `callback_data` (`pa:<id>:no`). */
export const CANCEL_CHOICE = 'no';

/**
 * Confirm / Cancel for one pending action. The buttons carry only the action's opaque id and the
 * choice (28 bytes); what confirming does is stored server-side, bound to the user and message.
 */
export function confirmKeyboard(actionId: string, t: Translate): InlineKeyboard {
  return new InlineKeyboard()
    .text(t('send-confirm-button'), pendingActionCallbackData(actionId, CONFIRM_CHOICE))
    .text(t('send-cancel-payment-button'), pendingActionCallbackData(actionId, CANCEL_CHOICE));
}
