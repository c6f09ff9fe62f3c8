import { InlineKeyboard } from 'grammy';
import { pendingActionCallbackData } from '../../core/services/pending-actions.ts';
import { INVOICE_CANCEL_CHOICE, type InvoiceLinks } from '../../core/services/invoice-card.ts';
import type { Translate } from '../../core/services/wallet-card.ts';

/**
 * The buttons of an invoice card. Pay is a URL button to the bot's deep link, not a callback: it
 * works in groups and in messages sent through inline mode, and whoever opens it is identified in
 * their own private chat with the bot. "Other wallet" opens our page (Telegram buttons cannot carry
 * `web+stellar:` or `ethereum:` links); it is left out when there is no public origin. Cancel is
 * present only on the payee's own card (`cancelActionId`): its press is honoured from the payee only.
 */
export function invoiceCardKeyboard(
  links: InvoiceLinks,
  t: Translate,
  cancelActionId: string | null = null,
): InlineKeyboard {
  const keyboard = new InlineKeyboard()
    .url(t('invoice-button-pay'), links.deepLink)
    .row()
    .url(t('invoice-button-share'), links.shareUrl);
  if (links.pageUrl && links.paymentUri) keyboard.url(t('invoice-button-other-wallet'), links.pageUrl);
  if (cancelActionId)
    keyboard
      .row()
      .text(t('invoice-button-cancel'), pendingActionCallbackData(cancelActionId, INVOICE_CANCEL_CHOICE));
  return keyboard;
}
