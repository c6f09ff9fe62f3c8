/**
 * Invoices: a payee asks for an amount of one asset, payable until an expiry, on a chain (to the
 * payee's own wallet, identified on Stellar by the invoice's MEMO_ID) or in Telegram Stars.
 * Settlement of on-chain invoices happens where deposits are recorded (core/services/deposits.ts);
 * Stars settle here, once per Telegram charge id.
 */
import {
  MAX_STROOPS,
  MAX_UINT256,
  parseDecimalAmount,
  STELLAR_DECIMALS,
  WEI_DECIMALS,
} from '../domain/amounts.ts';
import { nativeSymbol } from '../domain/evm-chains.ts';
import { parseInvoiceRequest } from '../domain/invoice-request.ts';
import { tokenBySymbol, type KnownToken } from '../domain/tokens.ts';
import { PermanentError } from '../errors.ts';
import type {
  InvoiceRecord,
  InvoiceRepository,
  StagedNotifications,
  StellarNetwork,
  UserRepository,
  WalletRepository,
} from '../ports.ts';

/** Telegram's currency code for Stars. */
export const STARS_CURRENCY = 'XTR';
/** Stars are whole; Telegram caps one Stars invoice (10,000 at the time of writing). */
export const MAX_STARS_PER_INVOICE = 10_000n;
/** Deep-link payloads of invoices are `inv_<slug>`. */
export const INVOICE_START_PREFIX = 'inv_';

/** Why an invoice could not be created; each has its own localized answer. */
export type InvoiceRefusal =
  'unknown-asset' | 'ambiguous-asset' | 'invalid-amount' | 'no-wallet' | 'wallet-not-active' | 'no-trustline';

/** The request names an asset or amount the payee cannot be paid in. */
export class InvoiceRefusedError extends PermanentError {
  constructor(
    readonly refusal: InvoiceRefusal,
    readonly asset: string,
  ) {
    super('INVOICE_REFUSED', `invoice refused: ${refusal}`, { refusal, asset });
  }
}

/** What an asset code in a request resolved to. */
interface ResolvedAsset {
  rail: InvoiceRecord['rail'];
  chainId: number | null;
  code: string;
  issuer: string | null;
  decimals: number;
  max: bigint;
}

/** Dependencies of the invoice use cases. */
export interface InvoiceDeps {
  invoices: InvoiceRepository;
  wallets: WalletRepository;
  stellar: Pick<StellarNetwork, 'getAccount'>;
  settings: { evmChainId: number; knownTokens: readonly KnownToken[]; invoiceTtlMinutes: number };
}

/**
 * Creates an invoice from `/request` text for `payeeUserId`. The asset is read as: XTR/Stars; XLM;
 * the EVM chain's native symbol; a known ERC-20 symbol; otherwise a Stellar asset the payee holds a
 * trustline for (`CODE` when one issuer matches, `CODE:ISSUER` to pick). A code that is both a
 * known token and one of the payee's Stellar assets is ambiguous and refused.
 */
export async function createInvoiceFromText(
  payeeUserId: bigint,
  text: string,
  now: Date,
  deps: InvoiceDeps,
): Promise<InvoiceRecord> {
  const request = parseInvoiceRequest(text);
  const wallets = await deps.wallets.listByUser(payeeUserId);
  const stellarWallet = wallets.find((wallet) => wallet.chain === 'STELLAR');
  const evmWallet = wallets.find((wallet) => wallet.chain === 'EVM');
  const asset = await resolveAsset(request.asset, stellarWallet?.address ?? null, deps);
  const amountBase = parseInvoiceAmount(request.amount, asset, request.asset);

  let payeeAddress: string | null = null;
  if (asset.rail === 'STELLAR') {
    if (!stellarWallet) throw new InvoiceRefusedError('no-wallet', request.asset);
    if (stellarWallet.status !== 'ACTIVE') throw new InvoiceRefusedError('wallet-not-active', request.asset);
    payeeAddress = stellarWallet.address;
  } else if (asset.rail === 'EVM') {
    if (!evmWallet) throw new InvoiceRefusedError('no-wallet', request.asset);
    payeeAddress = evmWallet.address;
  }
  return deps.invoices.create({
    payeeUserId,
    rail: asset.rail,
    chainId: asset.chainId,
    assetCode: asset.code,
    assetIssuer: asset.issuer,
    amountBase,
    description: request.description,
    payeeAddress,
    expiresAt: new Date(now.getTime() + deps.settings.invoiceTtlMinutes * 60_000),
  });
}

async function resolveAsset(
  text: string,
  stellarAddress: string | null,
  deps: InvoiceDeps,
): Promise<ResolvedAsset> {
  const [codeText = '', issuer] = text.split(':');
  const code = codeText.toUpperCase();
  const { evmChainId, knownTokens } = deps.settings;
  if (!issuer && (code === STARS_CURRENCY || code === 'STARS'))
    return {
      rail: 'STARS',
      chainId: null,
      code: STARS_CURRENCY,
      issuer: null,
      decimals: 0,
      max: MAX_STARS_PER_INVOICE,
    };
  if (!issuer && code === 'XLM')
    return {
      rail: 'STELLAR',
      chainId: null,
      code: 'XLM',
      issuer: null,
      decimals: STELLAR_DECIMALS,
      max: MAX_STROOPS,
    };
  if (!issuer && code === nativeSymbol(evmChainId).toUpperCase())
    return {
      rail: 'EVM',
      chainId: evmChainId,
      code: nativeSymbol(evmChainId),
      issuer: null,
      decimals: WEI_DECIMALS,
      max: MAX_UINT256,
    };

  const account = stellarAddress ? await deps.stellar.getAccount(stellarAddress) : null;
  const trustlines = (account?.trustlines ?? []).filter(
    (line) => line.assetCode.toUpperCase() === code && (!issuer || line.assetIssuer === issuer),
  );
  const token = issuer ? undefined : tokenBySymbol(knownTokens, code);
  if (token && trustlines.length > 0) throw new InvoiceRefusedError('ambiguous-asset', text);
  if (token)
    return {
      rail: 'EVM',
      chainId: evmChainId,
      code: token.symbol,
      issuer: token.address,
      decimals: token.decimals,
      max: MAX_UINT256,
    };
  if (trustlines.length > 1) throw new InvoiceRefusedError('ambiguous-asset', text);
  const line = trustlines[0];
  if (!line) throw new InvoiceRefusedError(issuer ? 'no-trustline' : 'unknown-asset', text);
  return {
    rail: 'STELLAR',
    chainId: null,
    code: line.assetCode,
    issuer: line.assetIssuer,
    decimals: STELLAR_DECIMALS,
    max: MAX_STROOPS,
  };
}

function parseInvoiceAmount(text: string, asset: ResolvedAsset, assetText: string): bigint {
  let amount: bigint;
  try {
    amount = parseDecimalAmount(text, asset.decimals, asset.max);
  } catch {
    throw new InvoiceRefusedError('invalid-amount', assetText);
  }
  if (amount <= 0n) throw new InvoiceRefusedError('invalid-amount', assetText);
  return amount;
}

/** Whether an invoice can still be paid at `now`, and if not, why. */
export type InvoicePayability = 'payable' | 'paid' | 'cancelled' | 'expired';

/** An OPEN invoice past its expiry counts as expired even before the expiry job has run. */
export function invoicePayability(invoice: InvoiceRecord, now: Date): InvoicePayability {
  if (invoice.status === 'PAID') return 'paid';
  if (invoice.status === 'CANCELLED') return 'cancelled';
  if (invoice.status === 'EXPIRED' || invoice.expiresAt <= now) return 'expired';
  return 'payable';
}

/** The slug in a `/start inv_<slug>` payload, or `null` when the payload is not an invoice link. */
export function invoiceSlugFromStartPayload(payload: string): string | null {
  return payload.startsWith(INVOICE_START_PREFIX) && /^[A-Za-z0-9_-]{1,60}$/.test(payload.slice(4))
    ? payload.slice(INVOICE_START_PREFIX.length)
    : null;
}

/** The answer to a Stars `pre_checkout_query`: go ahead, or the reason to refuse. */
export type PreCheckoutDecision =
  { ok: true } | { ok: false; reason: InvoicePayability | 'mismatch' | 'unknown' };

/**
 * Decides a Stars pre-checkout from the invoice payload (the slug), currency and total. Must be
 * quick: Telegram cancels the purchase if the answer takes over 10 s.
 */
export async function decideStarsPreCheckout(
  query: { invoicePayload: string; currency: string; totalAmount: number },
  now: Date,
  invoices: Pick<InvoiceRepository, 'findBySlug'>,
): Promise<PreCheckoutDecision> {
  const invoice = await invoices.findBySlug(query.invoicePayload);
  if (!invoice || invoice.rail !== 'STARS') return { ok: false, reason: 'unknown' };
  const payability = invoicePayability(invoice, now);
  if (payability !== 'payable') return { ok: false, reason: payability };
  if (query.currency !== STARS_CURRENCY || BigInt(query.totalAmount) !== invoice.amountBase)
    return { ok: false, reason: 'mismatch' };
  return { ok: true };
}

/** What a `successful_payment` did: credited the invoice, was a redelivery, or arrived too late. */
export type StarsPaymentOutcome = 'settled' | 'duplicate' | 'not-settled' | 'unknown-invoice';

/**
 * Credits a Stars payment once per `telegram_payment_charge_id`. A payment for an invoice that
 * meanwhile expired or was paid is recorded (so it can be refunded) but does not settle it.
 */
export async function recordStarsPayment(
  payment: { chargeId: string; invoicePayload: string; payerTelegramId: bigint; totalAmount: number },
  now: Date,
  deps: { invoices: InvoiceRepository; users: Pick<UserRepository, 'findByTelegramId'> },
): Promise<{
  outcome: StarsPaymentOutcome;
  invoice: InvoiceRecord | null;
  /** The payee's invoice-paid notification, committed with the settlement; the caller queues it. */
  staged: StagedNotifications | null;
}> {
  const invoice = await deps.invoices.findBySlug(payment.invoicePayload);
  if (!invoice) return { outcome: 'unknown-invoice', invoice: null, staged: null };
  const payer = await deps.users.findByTelegramId(payment.payerTelegramId);
  const { credited, settled, staged } = await deps.invoices.recordStarPayment({
    chargeId: payment.chargeId,
    invoiceId: invoice.id,
    payerTelegramId: payment.payerTelegramId,
    payerUserId: payer?.id ?? null,
    amount: BigInt(payment.totalAmount),
    now,
  });
  const outcome: StarsPaymentOutcome = !credited ? 'duplicate' : settled ? 'settled' : 'not-settled';
  return { outcome, invoice: await deps.invoices.findById(invoice.id), staged };
}

/** Telegram's answer when a charge was refunded before (by us or from another path). */
const ALREADY_REFUNDED = /CHARGE_ALREADY_REFUNDED/;

/**
 * Refunds a Stars payment through Telegram, then records it. Safe to repeat: a charge Telegram
 * reports as already refunded is recorded as refunded too. Used by admin commands.
 */
export async function refundStarsPayment(
  chargeId: string,
  now: Date,
  deps: {
    invoices: InvoiceRepository;
    refund: (payerTelegramId: bigint, chargeId: string) => Promise<void>;
  },
): Promise<'refunded' | 'already-refunded' | 'unknown-charge'> {
  const payment = await deps.invoices.findStarPayment(chargeId);
  if (!payment) return 'unknown-charge';
  if (payment.status === 'REFUNDED') return 'already-refunded';
  try {
    await deps.refund(payment.payerTelegramId, chargeId);
  } catch (error) {
    if (!ALREADY_REFUNDED.test(String((error as Error).message))) throw error;
  }
  return (await deps.invoices.markStarPaymentRefunded(chargeId, now)) ? 'refunded' : 'already-refunded';
}
