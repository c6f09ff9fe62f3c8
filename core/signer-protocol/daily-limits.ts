/**
 * The signer's per-key daily spending limits, as configured in SIGNER_DAILY_LIMITS, and the asset
 * identities they (and the `signer.spends` table) are written in. Shared with core/config.ts, which
 * parses the variable once at start; the signer judges signatures by the parsed entries.
 *
 * Format: comma-separated entries `<key kind>:<asset>=<amount>`:
 *
 *   wallet:stellar:native=1000, wallet:stellar:USDC:GA5Z…KZVN=500,
 *   wallet:evm:1:native=0.5, wallet:evm:1:0xA0b8…eB48:6=250, treasury:stellar:native=200
 *
 * - key kind: the part of a key's ref before its first `:` (`wallet` for `wallet:<userId>:<chain>`,
 *   `treasury` for `treasury:stellar`). Every key of that kind has its own limit and counter.
 * - asset: `stellar:native`, `stellar:<code>:<issuer>`, `evm:<chainId>:native`, or
 *   `evm:<chainId>:<token address>:<decimals>` for an ERC-20 (the signer cannot know a token's
 *   decimals, so the entry states them).
 * - amount: in whole units of the asset (XLM, ETH, USDC), at most as many decimals as the asset
 *   has (Stellar 7, EVM native 18, ERC-20 as stated). It is converted to base units once, here.
 */
import { z } from 'zod';

/** One configured limit. `asset` is the asset's identity (see {@link stellarAssetId}, {@link evmAssetId}). */
export interface DailyLimit {
  keyKind: string;
  asset: string;
  /** The most a key of `keyKind` may move of `asset` per UTC day, in base units (stroops, wei, token units). */
  amountBase: bigint;
  /** Decimals of the asset, to show amounts in whole units. */
  decimals: number;
}

/** Decimals of every Stellar amount. */
export const STELLAR_DECIMALS = 7;
/** Decimals of an EVM chain's native coin. */
export const EVM_NATIVE_DECIMALS = 18;

/** `stellar:native` or `stellar:<code>:<issuer>`: exact code (case kept) and issuer. */
export function stellarAssetId(asset: 'native' | { code: string; issuer: string }): string {
  return asset === 'native' ? 'stellar:native' : `stellar:${asset.code}:${asset.issuer}`;
}

/** `evm:<chainId>:native` or `evm:<chainId>:<token, lower case>`. */
export function evmAssetId(chainId: number, token: 'native' | string): string {
  return `evm:${chainId}:${token === 'native' ? 'native' : token.toLowerCase()}`;
}

/** `amount` (whole units, `.`-separated) in base units, or undefined if it is not a plain decimal with at most `decimals` decimals. */
export function decimalToBase(amount: string, decimals: number): bigint | undefined {
  const match = /^(\d{1,78})(?:\.(\d+))?$/.exec(amount);
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return undefined;
  return BigInt(match[1]! + fraction.padEnd(decimals, '0'));
}

/** Base units as a whole-unit decimal: 12_500_000n with 7 decimals is `1.25`. */
export function baseToDecimal(amount: bigint, decimals: number): string {
  if (decimals === 0) return amount.toString();
  const digits = amount.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, -decimals);
  const fraction = digits.slice(-decimals).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

const KEY_KIND = /^[A-Za-z0-9_-]{1,64}$/;
const STELLAR_CODE = /^[A-Za-z0-9]{1,12}$/;
const STELLAR_ACCOUNT = /^G[A-Z2-7]{55}$/;
const EVM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const CHAIN_ID = /^[1-9]\d{0,15}$/;
const DECIMALS = /^\d{1,2}$/;

/** One entry's selector (`wallet:stellar:native`) as key kind, asset identity and decimals, or a reason it is not one. */
function parseSelector(selector: string): Omit<DailyLimit, 'amountBase'> | string {
  const [keyKind = '', chain, ...rest] = selector.split(':');
  if (!KEY_KIND.test(keyKind)) return 'the key kind (before the first ":") must be letters, digits, _ or -';
  if (chain === 'stellar') {
    if (rest.length === 1 && rest[0] === 'native')
      return { keyKind, asset: stellarAssetId('native'), decimals: STELLAR_DECIMALS };
    const [code = '', issuer = ''] = rest;
    if (rest.length !== 2 || !STELLAR_CODE.test(code) || !STELLAR_ACCOUNT.test(issuer)) {
      return 'a Stellar asset is stellar:native or stellar:<code>:<G… issuer>';
    }
    return { keyKind, asset: stellarAssetId({ code, issuer }), decimals: STELLAR_DECIMALS };
  }
  if (chain === 'evm') {
    const [chainId = '', token = '', decimals] = rest;
    if (!CHAIN_ID.test(chainId)) return 'an EVM asset starts with evm:<chain id>:';
    if (rest.length === 2 && token === 'native')
      return { keyKind, asset: evmAssetId(Number(chainId), 'native'), decimals: EVM_NATIVE_DECIMALS };
    if (rest.length !== 3 || !EVM_ADDRESS.test(token) || !DECIMALS.test(decimals ?? '')) {
      return 'an EVM asset is evm:<chain id>:native or evm:<chain id>:<0x… token>:<decimals>';
    }
    const tokenDecimals = Number(decimals);
    if (tokenDecimals > 77) return 'a token has at most 77 decimals';
    return { keyKind, asset: evmAssetId(Number(chainId), token), decimals: tokenDecimals };
  }
  return 'the asset must start with stellar: or evm:';
}

/**
 * SIGNER_DAILY_LIMITS as a schema: the string in, the entries out. An invalid entry fails with one
 * line naming the entry's position and selector (amounts are not secrets, but nothing else is
 * echoed). Two entries for the same key kind and asset are refused rather than one silently winning.
 */
export const dailyLimitsSchema = z.string().transform((text, context): DailyLimit[] => {
  const limits: DailyLimit[] = [];
  const seen = new Set<string>();
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const [index, entry] of entries.entries()) {
    const fail = (problem: string) => {
      context.addIssue({
        code: 'custom',
        message: `entry ${index + 1} (${entry.split('=')[0]}): ${problem}`,
      });
      return z.NEVER;
    };
    const equals = entry.lastIndexOf('=');
    if (equals < 0) return fail('must be <key kind>:<asset>=<amount>');
    const selector = parseSelector(entry.slice(0, equals).trim());
    if (typeof selector === 'string') return fail(selector);
    const amountBase = decimalToBase(entry.slice(equals + 1).trim(), selector.decimals);
    if (amountBase === undefined) {
      return fail(`the amount must be a decimal number with at most ${selector.decimals} decimals`);
    }
    const identity = `${selector.keyKind} ${selector.asset}`;
    if (seen.has(identity)) return fail('the same key kind and asset appear in an earlier entry');
    seen.add(identity);
    limits.push({ ...selector, amountBase });
  }
  return limits;
});
