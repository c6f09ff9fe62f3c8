/**
 * What the signer is willing to sign at all, once verify.ts has established what a payload does.
 * Default deny: only the listed Stellar operation types, EVM transfers of listed tokens (when a
 * list is set), and fees under a cap. Further {@link PolicyRule}s see the same
 * {@link SigningIntent} and refuse by throwing.
 *
 * Per-key daily limits are part of the policy too, but they cannot be judged here alone: whether a
 * spend fits depends on what the key spent today, and two signatures racing for the same key must
 * not both fit. So the policy only says which spends are limited ({@link SigningPolicy.limitedSpends});
 * spend-ledger.ts decides them in the transaction that records the decision.
 */
import {
  STELLAR_DECIMALS,
  decimalToBase,
  evmAssetId,
  stellarAssetId,
  type DailyLimit,
} from '../core/signer-protocol/daily-limits.ts';
import type { DeclaredEvmTransfer, DeclaredStellarOperation } from '../core/signer-protocol/schema.ts';
import { SIGNER_STELLAR_MAX_FEE_STROOPS } from '../core/signer-protocol/fees.ts';
import { SignerRefusal } from './errors.ts';

/** What is about to be signed, already checked against the payload. */
export type SigningIntent =
  | {
      chain: 'stellar';
      keyId: string;
      /** The key's ref (`wallet:<userId>:stellar`, `treasury:stellar`): daily limits go by its kind. */
      keyRef: string;
      address: string;
      operations: readonly DeclaredStellarOperation[];
      /** The most the transaction can charge in fees. */
      feeStroops: bigint;
    }
  | {
      chain: 'evm';
      keyId: string;
      keyRef: string;
      address: string;
      chainId: number;
      transfer: DeclaredEvmTransfer;
      /** gasLimit × maxFeePerGas: the most the transaction can charge in fees. */
      maxFeeWei: bigint;
    };

/** One policy rule: returns when the intent is allowed, throws a {@link SignerRefusal} when not. */
export type PolicyRule = (intent: SigningIntent) => void | Promise<void>;

/** The built-in limits. */
export interface PolicyLimits {
  stellarOperationTypes: ReadonlySet<DeclaredStellarOperation['type']>;
  stellarMaxFeeStroops: bigint;
  /**
   * ERC-20 contracts (lower-case addresses) whose transfers are signed; undefined signs transfers
   * of any token. Only a plain `transfer` of the key's own balance can be declared at all, so an
   * unknown token risks nothing but that token.
   */
  evmTokens?: ReadonlySet<string>;
  /** No default: what a sane fee is depends on the chain. */
  evmMaxFeeWei?: bigint;
}

/** The Stellar fee cap is shared with the worker (core/signer-protocol/fees.ts explains it). */
export const DEFAULT_POLICY_LIMITS: PolicyLimits = {
  stellarOperationTypes: new Set(['createAccount', 'payment']),
  stellarMaxFeeStroops: BigInt(SIGNER_STELLAR_MAX_FEE_STROOPS),
};

/** A spend of one asset by one transaction that a daily limit applies to. */
export interface LimitedSpend {
  /** Asset identity, as in `signer.spends.asset` and SIGNER_DAILY_LIMITS. */
  asset: string;
  /** What this transaction moves of it, in base units (fees not included). */
  amountBase: bigint;
  /** The key's daily limit for it, in base units. */
  limitBase: bigint;
  decimals: number;
}

/** The signer's policy. */
export interface SigningPolicy {
  /** Resolves when the intent may be signed; rejects with a {@link SignerRefusal} otherwise. */
  check(intent: SigningIntent): Promise<void>;
  /** The intent's spends that a daily limit applies to; empty when none does. */
  limitedSpends(intent: SigningIntent): LimitedSpend[];
}

/** The kind of a key ref: the part before its first `:` (`wallet` of `wallet:42:stellar`). */
export function keyKindOf(ref: string): string {
  return ref.split(':', 1)[0]!;
}

/**
 * What the intent moves, per asset, in base units: payments and starting balances on Stellar, the
 * value or the token amount on EVM. Fees are not counted; the fee cap bounds them per transaction.
 */
export function spendsOf(intent: SigningIntent): Map<string, bigint> {
  const spends = new Map<string, bigint>();
  const add = (asset: string, amountBase: bigint) =>
    spends.set(asset, (spends.get(asset) ?? 0n) + amountBase);
  if (intent.chain === 'stellar') {
    for (const operation of intent.operations) {
      const [asset, amount] =
        operation.type === 'payment'
          ? [stellarAssetId(operation.asset), operation.amount]
          : [stellarAssetId('native'), operation.startingBalance];
      // The schema admits only 7-decimal amounts, so the conversion cannot fail.
      add(asset, decimalToBase(amount, STELLAR_DECIMALS)!);
    }
    return spends;
  }
  const { transfer, chainId } = intent;
  if (transfer.kind === 'native') add(evmAssetId(chainId, 'native'), BigInt(transfer.value));
  else add(evmAssetId(chainId, transfer.token), BigInt(transfer.amount));
  return spends;
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
    const { transfer } = intent;
    if (
      transfer.kind === 'erc20' &&
      limits.evmTokens !== undefined &&
      !limits.evmTokens.has(transfer.token.toLowerCase())
    ) {
      throw new SignerRefusal('POLICY_DENIED', `transfers of token ${transfer.token} are not signed`);
    }
    if (limits.evmMaxFeeWei !== undefined && intent.maxFeeWei > limits.evmMaxFeeWei) {
      throw new SignerRefusal(
        'FEE_TOO_HIGH',
        `fee up to ${intent.maxFeeWei} wei is above the cap of ${limits.evmMaxFeeWei}`,
      );
    }
  };
}

/** Options of {@link createPolicy}. */
export interface PolicyOptions {
  limits?: PolicyLimits;
  rules?: readonly PolicyRule[];
  /** Per-key daily limits (SIGNER_DAILY_LIMITS); keys of a kind without an entry for an asset are not limited in it. */
  dailyLimits?: readonly DailyLimit[];
}

/** The built-in limits followed by `rules`, in order (the first refusal wins), and the daily limits. */
export function createPolicy(options: PolicyOptions = {}): SigningPolicy {
  const rules = [limitsRule(options.limits ?? DEFAULT_POLICY_LIMITS), ...(options.rules ?? [])];
  const daily = new Map<string, DailyLimit>();
  for (const limit of options.dailyLimits ?? []) daily.set(`${limit.keyKind} ${limit.asset}`, limit);
  return {
    async check(intent) {
      for (const rule of rules) await rule(intent);
    },
    limitedSpends(intent) {
      if (daily.size === 0) return [];
      const kind = keyKindOf(intent.keyRef);
      const limited: LimitedSpend[] = [];
      for (const [asset, amountBase] of spendsOf(intent)) {
        const limit = daily.get(`${kind} ${asset}`);
        if (limit) limited.push({ asset, amountBase, limitBase: limit.amountBase, decimals: limit.decimals });
      }
      return limited;
    },
  };
}
