/**
 * The highest fee, in stroops per transaction, the key service signs on a Stellar transaction:
 * 1 XLM, 100,000 times the minimum fee of a one-operation transaction, so surge pricing has room
 * while a fee-draining envelope cannot take more than that. Shared so that the worker's own fee cap
 * (STELLAR_MAX_FEE_STROOPS) can never exceed it.
 */
export const SIGNER_STELLAR_MAX_FEE_STROOPS = 10_000_000;
