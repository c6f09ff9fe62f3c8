import { randomBytes } from 'node:crypto';
import type { PreCheckoutQuery, SuccessfulPayment, Update } from 'grammy/types';
import { badRequest } from './errors.ts';
import type { InvoiceSpec } from './invoices.ts';

const QUERY_EXPIRED = 'query is too old and response timeout expired or query ID is invalid';

/** How the bot answered a `pre_checkout_query`, and how long it took. */
export interface PreCheckoutAnswer {
  ok: boolean;
  /** The text Telegram shows the user when `ok` is false. */
  errorMessage: string | undefined;
  /** Milliseconds from the query being queued to `answerPreCheckoutQuery`. */
  answeredAfterMs: number;
}

/** A completed payment as Telegram's ledger holds it, keyed by `telegram_payment_charge_id`. */
export interface Charge {
  chargeId: string;
  providerChargeId: string;
  userId: number;
  currency: string;
  totalAmount: number;
  invoicePayload: string;
  successfulPayment: SuccessfulPayment;
  /** The `message` update that carried `successful_payment` to the bot. */
  update: Update;
  refunded: boolean;
}

interface OpenPreCheckout {
  query: PreCheckoutQuery;
  pushedAt: number;
  answer: PreCheckoutAnswer | undefined;
  /** Past its deadline (or the fake closed): a late answer is refused as Telegram refuses it. */
  expired: boolean;
  settle: ((answer: PreCheckoutAnswer | undefined) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Telegram's side of payments: which messages and links carry which invoice, the pre-checkout
 * queries waiting for the bot, completed charges, and (when a test sets them) users' Star balances.
 */
export class PaymentLedger {
  /** Invoices by where they can be paid: `message:<chat>:<id>`, `inline:<id>` or `link:<slug>`. */
  readonly invoices = new Map<string, InvoiceSpec>();
  /** `<invoice key>|<user id>` of invoice messages in private chats already paid: they show a receipt. */
  readonly receipts = new Set<string>();
  readonly charges = new Map<string, Charge>();
  /** Stars per user; a user without an entry has an unlimited balance. */
  readonly balances = new Map<number, number>();
  #preCheckouts = new Map<string, OpenPreCheckout>();

  /** Starts the bot's deadline for a query that was just queued. */
  openPreCheckout(query: PreCheckoutQuery, pushedAt: number): void {
    this.#preCheckouts.set(query.id, {
      query,
      pushedAt,
      answer: undefined,
      expired: false,
      settle: undefined,
      timer: undefined,
    });
  }

  /**
   * Resolves with the bot's answer, or with undefined once `timeoutMs` passes without one (Telegram
   * then cancels the purchase and refuses a late answer).
   */
  waitForAnswer(queryId: string, timeoutMs: number): Promise<PreCheckoutAnswer | undefined> {
    const open = this.#preCheckouts.get(queryId);
    if (!open) return Promise.resolve(undefined);
    if (open.answer || open.expired) return Promise.resolve(open.answer);
    return new Promise((resolve) => {
      open.settle = (answer) => {
        clearTimeout(open.timer);
        open.settle = undefined;
        resolve(answer);
      };
      open.timer = setTimeout(() => {
        open.expired = true;
        open.settle?.(undefined);
      }, timeoutMs);
    });
  }

  /** `answerPreCheckoutQuery`: once per query, before its deadline. */
  answerPreCheckout(queryId: string, ok: boolean, errorMessage: string | undefined): void {
    const open = this.#preCheckouts.get(queryId);
    if (!open || open.answer || open.expired) throw badRequest(QUERY_EXPIRED);
    open.answer = { ok, errorMessage, answeredAfterMs: performance.now() - open.pushedAt };
    open.settle?.(open.answer);
  }

  /** A new `telegram_payment_charge_id`; Stars charges start with `stx`. */
  newChargeId(currency: string): string {
    const prefix = currency === 'XTR' ? 'stx' : 'tgc';
    let id: string;
    do id = `${prefix}${randomBytes(45).toString('base64url')}`;
    while (this.charges.has(id));
    return id;
  }

  /** Takes Stars from a user with a tracked balance; false when the balance is short. */
  debit(userId: number, stars: number): boolean {
    const balance = this.balances.get(userId);
    if (balance === undefined) return true;
    if (balance < stars) return false;
    this.balances.set(userId, balance - stars);
    return true;
  }

  /** Gives Stars back to a user with a tracked balance. */
  credit(userId: number, stars: number): void {
    const balance = this.balances.get(userId);
    if (balance !== undefined) this.balances.set(userId, balance + stars);
  }

  /** Stars the bot earned and has not refunded. */
  botBalance(): number {
    let total = 0;
    for (const charge of this.charges.values()) {
      if (charge.currency === 'XTR' && !charge.refunded) total += charge.totalAmount;
    }
    return total;
  }

  /** Forgets everything; a payment still waiting for its pre-checkout answer ends unanswered. */
  reset(): void {
    this.close();
    this.invoices.clear();
    this.receipts.clear();
    this.charges.clear();
    this.balances.clear();
    this.#preCheckouts.clear();
  }

  /** Ends every wait at once, so no timer outlives the fake. */
  close(): void {
    for (const open of this.#preCheckouts.values()) {
      open.expired = true;
      open.settle?.(undefined);
    }
  }
}
