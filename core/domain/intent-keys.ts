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

/**
 * The intent key (and job id) of a confirmed payment. The pending action behind the Confirm button
 * is single use, so one press can only ever name one payment.
 */
export function paymentIntentKey(pendingActionId: string): string {
  return `pay-${pendingActionId}`;
}

/** The identity of an incoming Stellar payment: Horizon's operation id, unique on its network. */
export function stellarDepositKey(operationId: string): string {
  return `stellar:${operationId}`;
}

/**
 * The identity of an incoming EVM transfer: an ERC-20 `Transfer` log by its log index, a native
 * value transfer by its transaction. Block hash is left out on purpose: a transaction re-mined in
 * another block after a reorg is the same transfer.
 */
export function evmDepositKey(chainId: number, txHash: string, logIndex: number | 'native'): string {
  return `evm:${chainId}:${txHash.toLowerCase()}:${logIndex}`;
}
