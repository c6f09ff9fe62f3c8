/**
 * Reading `/request <amount> <asset> [description]` (and the same text typed in inline mode).
 * Only the shape is checked here; which asset the code names is decided with the payee's wallets.
 */
import { PermanentError } from '../errors.ts';

/** At most this many characters of description; it is shown on cards, pages and in SEP-7 `msg`. */
export const INVOICE_DESCRIPTION_LIMIT = 140;

/** Why the request text was refused; each has its own localized answer. */
export type InvoiceRequestProblem = 'missing-amount' | 'missing-asset' | 'description-too-long';

/** The text after `/request` is not `<amount> <asset> [description]`. */
export class InvoiceRequestError extends PermanentError {
  constructor(readonly problem: InvoiceRequestProblem) {
    super('INVOICE_REQUEST_INVALID', `invoice request is invalid: ${problem}`, { problem });
  }
}

/** The parts of a request, as typed: the amount is parsed once the asset's decimals are known. */
export interface InvoiceRequestText {
  amount: string;
  asset: string;
  description: string;
}

const AMOUNT = /^\d+(?:\.\d+)?$/;
const ASSET = /^[A-Za-z0-9]{1,12}(?::[A-Za-z0-9]{1,64})?$/;

/**
 * Splits `10 XLM coffee beans` into amount, asset and description. Accepts `XLM 10` too, since
 * people write both. Whitespace in the description is collapsed; control characters are dropped.
 */
export function parseInvoiceRequest(text: string): InvoiceRequestText {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [first = '', second = '', ...rest] = words;
  let amount: string;
  let asset: string;
  if (AMOUNT.test(first)) [amount, asset] = [first, second];
  else if (AMOUNT.test(second)) [amount, asset] = [second, first];
  else throw new InvoiceRequestError('missing-amount');
  if (!ASSET.test(asset)) throw new InvoiceRequestError('missing-asset');
  // eslint-disable-next-line no-control-regex
  const description = rest.join(' ').replace(/[\u0000-\u001f\u007f]/g, '');
  if ([...description].length > INVOICE_DESCRIPTION_LIMIT)
    throw new InvoiceRequestError('description-too-long');
  return { amount, asset, description };
}
