import type { InlineKeyboardMarkup, Invoice, LabeledPrice } from 'grammy/types';
import { badRequest } from './errors.ts';
import { textLength } from './formatting.ts';
import { optionalInt, optionalString } from './params.ts';
import type { Params } from './recorder.ts';

/** The currency code of Telegram Stars. */
export const STARS = 'XTR';

/** Telegram's only subscription period for Stars invoice links: 30 days. */
const SUBSCRIPTION_PERIOD_SECONDS = 30 * 24 * 60 * 60;
const TITLE_LIMIT = 32;
const DESCRIPTION_LIMIT = 255;
const PAYLOAD_BYTE_LIMIT = 128;
/** TDLib's `check_currency_amount` bound for one price and for the total. */
const MAX_CURRENCY_AMOUNT = 9_999_999_999_999;

/** An invoice as the bot defined it, including what Telegram keeps from the user (payload, token). */
export interface InvoiceSpec {
  title: string;
  description: string;
  payload: string;
  currency: string;
  prices: LabeledPrice[];
  /** The sum of `prices`, in the currency's smallest unit (whole Stars for `XTR`). */
  totalAmount: number;
  providerToken: string;
  startParameter: string;
  /** Seconds between charges of a subscription link; only `createInvoiceLink` takes it. */
  subscriptionPeriod: number | undefined;
}

/**
 * Reads and validates an invoice the way sendInvoice, createInvoiceLink and an inline
 * `InputInvoiceMessageContent` are checked, in Telegram's order: the Bot API server's required
 * parameters first (`parameter "title" is required`), then TDLib's amount checks ("total price
 * must be positive"), then the server's (`INVOICE_PAYLOAD_INVALID`, `STARS_INVOICE_INVALID` for a
 * Stars invoice with a provider token or more than one price). The title and description length
 * refusals are not documented; their names here are the fake's best guess.
 */
export function readInvoice(params: Params, options: { subscriptions: boolean }): InvoiceSpec {
  const title = requiredString(params, 'title');
  const description = requiredString(params, 'description');
  const payload = requiredString(params, 'payload');
  const providerToken = optionalString(params, 'provider_token') ?? '';
  const currency = requiredString(params, 'currency');
  const prices = readPrices(params.prices);

  for (const price of prices) {
    if (Math.abs(price.amount) > MAX_CURRENCY_AMOUNT)
      throw badRequest('too big amount of the currency specified');
  }
  const totalAmount = prices.reduce((sum, price) => sum + price.amount, 0);
  if (totalAmount <= 0) throw badRequest('total price must be positive');
  if (totalAmount > MAX_CURRENCY_AMOUNT) throw badRequest('total price is too big');

  if (textLength(title) > TITLE_LIMIT) throw badRequest('INVOICE_TITLE_INVALID');
  if (textLength(description) > DESCRIPTION_LIMIT) throw badRequest('INVOICE_DESCRIPTION_INVALID');
  if (Buffer.byteLength(payload, 'utf8') > PAYLOAD_BYTE_LIMIT) throw badRequest('INVOICE_PAYLOAD_INVALID');
  if (currency === STARS) {
    // Stars need no payment provider and exactly one price.
    if (providerToken !== '' || prices.length !== 1) throw badRequest('STARS_INVOICE_INVALID');
  } else {
    if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('CURRENCY_INVALID');
    if (providerToken === '') throw badRequest('PAYMENT_PROVIDER_INVALID');
  }

  const subscriptionPeriod = options.subscriptions ? optionalInt(params, 'subscription_period') : undefined;
  if (
    subscriptionPeriod !== undefined &&
    (subscriptionPeriod !== SUBSCRIPTION_PERIOD_SECONDS || currency !== STARS)
  ) {
    throw badRequest('SUBSCRIPTION_PERIOD_INVALID');
  }

  return {
    title,
    description,
    payload,
    currency,
    prices,
    totalAmount,
    providerToken,
    startParameter: optionalString(params, 'start_parameter') ?? '',
    subscriptionPeriod,
  };
}

/** The `invoice` field of a message carrying the invoice. */
export function invoiceOf(spec: InvoiceSpec): Invoice {
  return {
    title: spec.title,
    description: spec.description,
    start_parameter: spec.startParameter,
    currency: spec.currency,
    total_amount: spec.totalAmount,
  };
}

/**
 * An invoice's own keyboard must start with its Pay button: the first button of the first row.
 * Without a keyboard, clients show a "Pay" button of their own.
 */
export function requirePayButtonFirst(markup: InlineKeyboardMarkup | undefined): void {
  if (!markup) return;
  const first = markup.inline_keyboard[0]?.[0];
  if (!first || !('pay' in first) || first.pay !== true) throw badRequest('BUTTON_POS_INVALID');
}

/** The Bot API server refuses a missing or empty text parameter with `parameter "x" is required`. */
function requiredString(params: Params, key: string): string {
  const value = optionalString(params, key);
  if (value === undefined || value === '') throw badRequest(`parameter "${key}" is required`);
  return value;
}

/** `prices`: a JSON array (or its text) of `{ label, amount }` with integer amounts. */
function readPrices(raw: unknown): LabeledPrice[] {
  if (raw === undefined || raw === null || raw === '') throw badRequest('parameter "prices" is required');
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw badRequest("can't parse prices JSON object");
    }
  }
  if (!Array.isArray(value)) throw badRequest("can't parse prices JSON object");
  return value.map((item: unknown) => {
    const fields = (typeof item === 'object' && item !== null ? item : {}) as Params;
    const label = fields.label;
    const amount = typeof fields.amount === 'string' ? Number(fields.amount) : fields.amount;
    if (typeof label !== 'string' || typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
      throw badRequest("can't parse prices JSON object");
    }
    return { label, amount };
  });
}
