/**
 * Names that make money-moving effects idempotent: the same effect always gets the same key, which
 * is both the intent row's unique key and the BullMQ job id (BullMQ forbids ':' in job ids).
 */

/** The intent key (and job id) of a wallet's Stellar account activation. */
export function activationIntentKey(walletId: string): string {
  return `activate-${walletId}`;
}

/** The key-service reference of a user's wallet key: the same user and chain always name the same key. */
export function walletKeyRef(userId: bigint, chain: 'stellar' | 'evm'): string {
  return `wallet:${userId}:${chain}`;
}

/** The key-service reference of the account that pays for new accounts where there is no friendbot. */
export const TREASURY_KEY_REF = 'treasury:stellar';
