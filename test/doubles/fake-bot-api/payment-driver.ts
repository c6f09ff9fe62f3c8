import type { Message, PreCheckoutQuery, SuccessfulPayment, Update } from 'grammy/types';
import { type MessageRef, privateChatOf, type RawUpdate, type UserInput, userOf } from './driver.ts';
import { type InvoiceSpec, STARS } from './invoices.ts';
import type { Charge, PaymentLedger, PreCheckoutAnswer } from './payments.ts';
import type { TelegramState } from './telegram-state.ts';

/** Which invoice a user pays: exactly one of a message, an inline message or an invoice link. */
export type PayInvoiceInput = {
  from: UserInput;
  /**
   * How long Telegram waits for `answerPreCheckoutQuery` before it cancels the purchase; default
   * the fake's `preCheckoutTimeoutMs` (10 s, as on Telegram).
   */
  timeoutMs?: number;
} & (
  | { message: MessageRef; inlineMessageId?: never; link?: never }
  | { inlineMessageId: string; message?: never; link?: never }
  | { link: string; message?: never; inlineMessageId?: never }
);

/**
 * How a payment attempt ended: `paid` (the bot said ok and got `successful_payment`), `declined`
 * (the bot answered ok: false), `timed_out` (no answer in time; Telegram cancels and refuses a late
 * answer), or `insufficient_stars` (the user's tracked balance is short, so no query was sent).
 */
export type PaymentStatus = 'paid' | 'declined' | 'timed_out' | 'insufficient_stars';

/** Everything a test may check about one payment attempt. */
export interface PaymentOutcome {
  status: PaymentStatus;
  /** The query the bot had to answer (absent for `insufficient_stars`). */
  preCheckoutQuery: PreCheckoutQuery | undefined;
  /** The bot's answer with how long it took (absent when it never answered in time). */
  answer: PreCheckoutAnswer | undefined;
  /** For `paid`: the `message` update carrying `successful_payment`, and the charge. */
  update: Update | undefined;
  successfulPayment: SuccessfulPayment | undefined;
  chargeId: string | undefined;
}

/**
 * The payer's side of Telegram Stars: pre-checkout, then the `successful_payment` service message
 * in the payer's private chat with the bot (also when the invoice was shown elsewhere).
 */
export class PaymentDriver {
  constructor(
    private readonly state: TelegramState,
    private readonly ledger: PaymentLedger,
    private readonly push: (raw: RawUpdate) => Update,
    private readonly now: () => number,
    private readonly defaultTimeoutMs: number,
  ) {}

  async payInvoice(input: PayInvoiceInput): Promise<PaymentOutcome> {
    const { key, spec, privateMessage } = this.#invoice(input);
    const from = userOf(input.from);
    const receipt = `${key}|${from.id}`;
    if (privateMessage && this.ledger.receipts.has(receipt)) {
      throw new Error(`payInvoice: ${key} was already paid by ${from.id}; Telegram shows a receipt instead`);
    }
    const unpaid = {
      preCheckoutQuery: undefined,
      answer: undefined,
      update: undefined,
      successfulPayment: undefined,
      chargeId: undefined,
    };
    const balance = this.ledger.balances.get(from.id);
    if (spec.currency === STARS && balance !== undefined && balance < spec.totalAmount) {
      return { status: 'insufficient_stars', ...unpaid };
    }

    const preCheckoutQuery: PreCheckoutQuery = {
      id: (7_000_000_000_000_000_000n + BigInt(this.state.serial()) * 104_729n).toString(),
      from,
      currency: spec.currency,
      total_amount: spec.totalAmount,
      invoice_payload: spec.payload,
    };
    this.ledger.openPreCheckout(preCheckoutQuery, performance.now());
    this.push({ pre_checkout_query: preCheckoutQuery });
    const answer = await this.ledger.waitForAnswer(
      preCheckoutQuery.id,
      input.timeoutMs ?? this.defaultTimeoutMs,
    );
    if (!answer) return { ...unpaid, status: 'timed_out', preCheckoutQuery };
    if (!answer.ok) return { ...unpaid, status: 'declined', preCheckoutQuery, answer };
    // The balance may have changed while the bot was thinking.
    if (spec.currency === STARS && !this.ledger.debit(from.id, spec.totalAmount)) {
      return { ...unpaid, status: 'insufficient_stars', preCheckoutQuery, answer };
    }

    const chargeId = this.ledger.newChargeId(spec.currency);
    const successfulPayment: SuccessfulPayment = {
      currency: spec.currency,
      total_amount: spec.totalAmount,
      invoice_payload: spec.payload,
      ...(spec.subscriptionPeriod !== undefined
        ? {
            subscription_expiration_date: Math.floor(this.now() / 1000) + spec.subscriptionPeriod,
            is_recurring: true as const,
            is_first_recurring: true as const,
          }
        : {}),
      telegram_payment_charge_id: chargeId,
      provider_payment_charge_id: `${from.id}_${this.state.serial()}`,
    };
    const update = this.#deliver(from.id, successfulPayment, input.from);
    const charge: Charge = {
      chargeId,
      providerChargeId: successfulPayment.provider_payment_charge_id,
      userId: from.id,
      currency: spec.currency,
      totalAmount: spec.totalAmount,
      invoicePayload: spec.payload,
      successfulPayment,
      update,
      refunded: false,
    };
    this.ledger.charges.set(chargeId, charge);
    if (privateMessage) this.ledger.receipts.add(receipt);
    return { status: 'paid', preCheckoutQuery, answer, update, successfulPayment, chargeId };
  }

  /**
   * Delivers a charge's `successful_payment` again, to prove the bot credits it once. By default
   * as a new update and message carrying the same charge (what deduplication by `update_id` alone
   * misses); with `sameUpdate`, the identical update with its original `update_id`.
   */
  redeliverPayment(chargeId: string, options: { sameUpdate?: boolean } = {}): Update {
    const charge = this.ledger.charges.get(chargeId);
    if (!charge) throw new Error(`redeliverPayment: no charge ${chargeId}`);
    if (options.sameUpdate) return this.push(charge.update);
    const payer = charge.update.message?.from;
    return this.#deliver(charge.userId, charge.successfulPayment, payer ?? { id: charge.userId });
  }

  /** Finds the invoice and whether it is a message in a private chat (paid once per user there). */
  #invoice(input: PayInvoiceInput): { key: string; spec: InvoiceSpec; privateMessage: boolean } {
    let key: string;
    let privateMessage = false;
    if (input.message !== undefined) {
      const { chat, message_id: messageId } = input.message;
      const stored = this.state.findMessage(chat.id, messageId);
      if (!stored) throw new Error(`payInvoice: message ${messageId} in chat ${chat.id} does not exist`);
      key = `message:${chat.id}:${messageId}`;
      privateMessage = stored.message.chat.type === 'private';
    } else if (input.inlineMessageId !== undefined) {
      key = `inline:${input.inlineMessageId}`;
    } else {
      const slug = /^https:\/\/t\.me\/(?:\$|invoice\/)([\w-]+)$/.exec(input.link)?.[1];
      key = `link:${slug ?? ''}`;
    }
    const spec = this.ledger.invoices.get(key);
    if (!spec) throw new Error(`payInvoice: no invoice at ${key}`);
    return { key, spec, privateMessage };
  }

  #deliver(userId: number, payment: SuccessfulPayment, payer: UserInput): Update {
    const from = userOf({ ...payer, id: userId });
    const chat = privateChatOf(from);
    const message = {
      message_id: this.state.nextMessageId(chat.id),
      from,
      chat,
      date: Math.floor(this.now() / 1000),
      successful_payment: payment,
    } as Message;
    return this.push({ message } as RawUpdate);
  }
}
