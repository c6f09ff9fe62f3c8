/**
 * Payment request URIs that wallets outside Telegram understand. Telegram buttons accept only
 * http(s) and tg:// links, so these are shown as QR codes and behind a redirect page of ours.
 */
import { formatStroops } from './amounts.ts';

/** The SEP-7 `msg` parameter is limited to 300 characters. */
const SEP7_MESSAGE_LIMIT = 300;

/** What a SEP-7 `pay` request asks for; amounts in stroops, the memo a MEMO_ID naming the invoice. */
export interface Sep7PayRequest {
  destination: string;
  amountStroops: bigint;
  /** `null` for XLM. */
  asset: { code: string; issuer: string } | null;
  memoId: bigint | null;
  message: string | null;
}

/**
 * `web+stellar:pay?destination=…&amount=…&asset_code=…&asset_issuer=…&memo=…&memo_type=MEMO_ID&msg=…`.
 * Values are percent-encoded as SEP-7 requires; the message is cut to 300 characters.
 */
export function sep7PayUri(request: Sep7PayRequest): string {
  const parameters: [string, string][] = [
    ['destination', request.destination],
    ['amount', formatStroops(request.amountStroops)],
  ];
  if (request.asset)
    parameters.push(['asset_code', request.asset.code], ['asset_issuer', request.asset.issuer]);
  if (request.memoId !== null) parameters.push(['memo', request.memoId.toString()], ['memo_type', 'MEMO_ID']);
  if (request.message) parameters.push(['msg', [...request.message].slice(0, SEP7_MESSAGE_LIMIT).join('')]);
  return `web+stellar:pay?${parameters.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')}`;
}

/** What an EIP-681 request asks for; `token` is the ERC-20 contract, `null` for the native coin. */
export interface Eip681Request {
  chainId: number;
  to: string;
  token: string | null;
  /** Wei or token base units. */
  amountBase: bigint;
}

/**
 * EIP-681: native `ethereum:<to>@<chainId>?value=<wei>`; ERC-20
 * `ethereum:<token>@<chainId>/transfer?address=<to>&uint256=<base units>`. Integers are written
 * in plain decimal: wallets disagree on scientific notation.
 */
export function eip681Uri(request: Eip681Request): string {
  if (request.token === null) return `ethereum:${request.to}@${request.chainId}?value=${request.amountBase}`;
  return `ethereum:${request.token}@${request.chainId}/transfer?address=${request.to}&uint256=${request.amountBase}`;
}

const DEEP_LINK_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;

/** `https://t.me/<bot>?start=<payload>`; the payload must be 1–64 of `A–Z a–z 0–9 _ -` (Telegram's rule). */
export function telegramStartLink(botUsername: string, payload: string): string {
  if (!DEEP_LINK_PAYLOAD.test(payload))
    throw new RangeError('deep-link payload must be 1-64 of A-Z a-z 0-9 _ -');
  return `https://t.me/${botUsername}?start=${payload}`;
}
