/**
 * What the signer is willing to sign at all, once verify.ts has established what a payload does.
 * Default deny: only the listed Stellar operation types, EVM contract calls only to listed
 * contracts, and fees under a cap. Later rules (per-user daily limits, a kill switch) are further
 * {@link PolicyRule}s; they see the same {@link SigningIntent} and refuse by throwing.
 */
import type { DeclaredStellarOperation } from '../core/signer-protocol/schema.ts';
import { SignerRefusal } from './errors.ts';

/** What is about to be signed, already checked against the payload. */
export type SigningIntent =
  | {
      chain: 'stellar';
      keyId: string;
      address: string;
      operations: readonly DeclaredStellarOperation[];
      /** The most the transaction can charge in fees. */
      feeStroops: bigint;
    }
  | {
      chain: 'evm';
      keyId: string;
      address: string;
      to: string;
      valueWei: bigint;
      data: string;
      /** gasLimit × maxFeePerGas: the most the transaction can charge in fees. */
      maxFeeWei: bigint;
    };

/** One policy rule: returns when the intent is allowed, throws a {@link SignerRefusal} when not. */
export type PolicyRule = (intent: SigningIntent) => void | Promise<void>;

/** The built-in limits. */
export interface PolicyLimits {
  stellarOperationTypes: ReadonlySet<DeclaredStellarOperation['type']>;
  stellarMaxFeeStroops: bigint;
  /** Contracts (lower-case addresses) a transaction with call data may go to. */
  evmContracts: ReadonlySet<string>;
  /** No default: what a sane fee is depends on the chain. */
  evmMaxFeeWei?: bigint;
}

/**
 * The Stellar cap is 1 XLM per transaction: 100,000 times the minimum fee of a one-operation
 * transaction (100 stroops), so surge pricing has room, while a fee-draining envelope cannot take
 * more than that.
 */
export const DEFAULT_POLICY_LIMITS: PolicyLimits = {
  stellarOperationTypes: new Set(['createAccount', 'payment']),
  stellarMaxFeeStroops: 10_000_000n,
  evmContracts: new Set(),
};

/** The signer's policy. */
export interface SigningPolicy {
  /** Resolves when the intent may be signed; rejects with a {@link SignerRefusal} otherwise. */
  check(intent: SigningIntent): Promise<void>;
}

function limitsRule(limits: PolicyLimits): PolicyRule {
  return (intent) => {
    if (intent.chain === 'stellar') {
      const denied = intent.operations.find((operation) => !limits.stellarOperationTypes.has(operation.type));
      if (denied) throw new SignerRefusal('POLICY_DENIED', `${denied.type} operations are not signed`);
      if (intent.feeStroops > limits.stellarMaxFeeStroops) {
        throw new SignerRefusal(
          'FEE_TOO_HIGH',
          `fee ${intent.feeStroops} stroops is above the cap of ${limits.stellarMaxFeeStroops}`,
        );
      }
      return;
    }
    if (intent.data !== '0x' && !limits.evmContracts.has(intent.to.toLowerCase())) {
      throw new SignerRefusal('POLICY_DENIED', `contract calls to ${intent.to} are not signed`);
    }
    if (limits.evmMaxFeeWei !== undefined && intent.maxFeeWei > limits.evmMaxFeeWei) {
      throw new SignerRefusal(
        'FEE_TOO_HIGH',
        `fee up to ${intent.maxFeeWei} wei is above the cap of ${limits.evmMaxFeeWei}`,
      );
    }
  };
}

/** The built-in limits followed by `rules`, in order; the first refusal wins. */
export function createPolicy(
  options: { limits?: PolicyLimits; rules?: readonly PolicyRule[] } = {},
): SigningPolicy {
  const rules = [limitsRule(options.limits ?? DEFAULT_POLICY_LIMITS), ...(options.rules ?? [])];
  return {
    async check(intent) {
      for (const rule of rules) await rule(intent);
    },
  };
}
