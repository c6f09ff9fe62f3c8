import { randomBytes } from 'node:crypto';
import type { Message } from 'grammy/types';
import { badRequest } from './errors.ts';
import { readInvoice, STARS } from './invoices.ts';
import type { RawUpdate } from './driver.ts';
import type { MethodDeps, MethodHandler } from './methods.ts';
import { optionalBool, optionalInt, optionalString } from './params.ts';

/**
 * Telegram Stars payments from the bot's side: invoice links, the pre-checkout answer, refunds and
 * the bot's balance. (`sendInvoice` is with the other send methods.)
 */
export function paymentMethods(deps: MethodDeps): Record<string, MethodHandler> {
  const { state, ledger } = deps;

  return {
    createInvoiceLink: ({ params }) => {
      const spec = readInvoice(params, { subscriptions: true });
      let slug: string;
      do slug = randomBytes(12).toString('base64url');
      while (ledger.invoices.has(`link:${slug}`));
      ledger.invoices.set(`link:${slug}`, spec);
      // Telegram's invoice links have this form; the `$` marks an invoice slug.
      return `https://t.me/$${slug}`;
    },

    answerPreCheckoutQuery: ({ params }) => {
      const ok = optionalBool(params, 'ok');
      const errorMessage = optionalString(params, 'error_message');
      if (!ok && (errorMessage === undefined || errorMessage === '')) {
        throw badRequest('parameter "error_message" is required');
      }
      ledger.answerPreCheckout(
        optionalString(params, 'pre_checkout_query_id') ?? '',
        ok,
        ok ? undefined : errorMessage,
      );
      return true;
    },

    /**
     * Refunds a Stars charge to the user who paid it, once. "CHARGE_ALREADY_REFUNDED" is Telegram's
     * documented refusal; for an unknown charge (or one paid by someone else) Telegram documents no
     * name, and the fake answers "CHARGE_NOT_FOUND". Telegram then tells the bot with a
     * `refunded_payment` service message in the user's chat.
     */
    refundStarPayment: ({ params }) => {
      const userId = optionalInt(params, 'user_id') ?? 0;
      if (userId <= 0) throw badRequest('invalid user_id specified');
      const chargeId = optionalString(params, 'telegram_payment_charge_id') ?? '';
      if (chargeId === '') throw badRequest('parameter "telegram_payment_charge_id" is required');
      const charge = ledger.charges.get(chargeId);
      if (!charge || charge.userId !== userId || charge.currency !== STARS) {
        throw badRequest('CHARGE_NOT_FOUND');
      }
      if (charge.refunded) throw badRequest('CHARGE_ALREADY_REFUNDED');
      charge.refunded = true;
      ledger.credit(userId, charge.totalAmount);

      const payer = charge.update.message?.from;
      const chat = charge.update.message?.chat;
      if (payer && chat) {
        const message = {
          message_id: state.nextMessageId(chat.id),
          from: payer,
          chat,
          date: Math.floor(deps.now() / 1000),
          refunded_payment: {
            currency: charge.currency,
            total_amount: charge.totalAmount,
            invoice_payload: charge.invoicePayload,
            telegram_payment_charge_id: charge.chargeId,
          },
        } as Message;
        deps.push({ message } as RawUpdate);
      }
      return true;
    },

    getMyStarBalance: () => ({ amount: ledger.botBalance() }),
  };
}
