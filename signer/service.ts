/**
 * The signer's decisions, independent of HTTP: validate the request, find the key, decode and
 * check the payload, apply the policy, sign, and record the decision. The order matters: a
 * signature is computed only after every check that needs no database passed, and released only
 * after the audit row and the request-id claim are committed. A spend under a daily limit is judged
 * in that same commit (spend-ledger.ts), by the slot the transaction takes on the key's account;
 * when it does not fit, the signature is discarded unsent.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  createKeyRequest,
  signEvmRequest,
  signStellarRequest,
  type CreateKeyResponse,
  type SignEvmResponse,
  type SignStellarResponse,
  type SignerChain,
} from '../core/signer-protocol/schema.ts';
import type { AuditAction, AuditDecision, AuditLog } from './audit.ts';
import { signEvmTransaction, signStellarHash } from './chain-keys.ts';
import { SignerRefusal } from './errors.ts';
import type { KeyRecord, Keystore } from './keystore.ts';
import type { SigningIntent, SigningPolicy } from './policy.ts';
import {
  DailyLimitExceededError,
  evmSlot,
  stellarSlot,
  type SpendLedger,
  type SpendRecord,
} from './spend-ledger.ts';
import {
  checkEvmIntent,
  checkStellarIntent,
  checkStellarMemo,
  checkStellarValidity,
  decodeEvm,
  decodeStellar,
} from './verify.ts';

/** Dependencies of {@link SignerService}. */
export interface SignerServiceDeps {
  keystore: Keystore;
  audit: AuditLog;
  policy: SigningPolicy;
  /** Records spends under daily limits with their decision; needed only when the policy has daily limits. */
  spends?: SpendLedger;
  logger: Logger;
  /** The one Stellar network this signer signs for. */
  stellarPassphrase: string;
  /** The one EVM chain this signer signs for. */
  evmChainId: number;
  /** The kill switch (SIGNER_PAUSED): every signature is refused; keys can still be created. */
  paused?: boolean;
  /** A Stellar envelope's maxTime may be at most this far ahead (SIGNER_STELLAR_MAX_VALIDITY_SECONDS). */
  stellarMaxValiditySeconds: number;
  /** The clock time bounds are judged by. */
  now?: () => number;
}

/** An authenticated request: its id is not yet claimed (that happens with the audit row). */
export interface RequestContext {
  requestId: string;
  /** SHA-256 of the body, hex: the audit digest of a request that cannot be decoded further. */
  bodyDigest: string;
}

/** What a decision step learned so far; the audit row gets it whether the step ends in a signature or a refusal. */
interface Trail {
  keyId: string | null;
  digest: string;
}

interface Outcome<T> {
  decision: Exclude<AuditDecision, 'refused'>;
  response: T;
  /** Spends under a daily limit: the decision commits only if they fit. */
  spends?: SpendRecord;
}

function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : 'body';
  throw new SignerRefusal('INVALID_REQUEST', `${where}: ${issue?.message ?? 'invalid'}`);
}

/** The signer's use cases. */
export class SignerService {
  constructor(private readonly deps: SignerServiceDeps) {}

  /** Creates the key named by `ref`, or returns the one it already names. */
  createKey(input: unknown, context: RequestContext): Promise<CreateKeyResponse> {
    return this.decide('create_key', context, async (trail) => {
      const request = parse(createKeyRequest, input);
      trail.digest = `ref:${request.ref}`;
      const { record, created } = await this.deps.keystore.create(request.chain, request.ref);
      trail.keyId = record.id;
      if (record.chain !== request.chain) {
        throw new SignerRefusal('KEY_REF_CONFLICT', `ref ${request.ref} names a ${record.chain} key`);
      }
      return {
        decision: created ? 'created' : 'existing',
        response: { keyId: record.id, chain: record.chain, address: record.address },
      };
    });
  }

  /** Signs the hash of a Stellar transaction that does exactly what was declared. */
  signStellar(input: unknown, context: RequestContext): Promise<SignStellarResponse> {
    return this.decide('sign_stellar', context, async (trail) => {
      const request = parse(signStellarRequest, input);
      trail.keyId = request.keyId;
      this.refuseWhilePaused();
      const key = await this.key(request.keyId, 'stellar');
      const { transaction, hash } = decodeStellar(request, this.deps.stellarPassphrase);
      const txHash = hash.toString('hex');
      trail.digest = `stellar-tx:${txHash}`;
      checkStellarIntent(transaction, request.declaredOperations, key.address);
      checkStellarMemo(transaction, request.memo);
      checkStellarValidity(transaction, {
        nowMs: (this.deps.now ?? Date.now)(),
        maxValiditySeconds: this.deps.stellarMaxValiditySeconds,
      });
      const intent: SigningIntent = {
        chain: 'stellar',
        keyId: key.id,
        keyRef: key.ref,
        address: key.address,
        operations: request.declaredOperations,
        feeStroops: BigInt(transaction.fee),
      };
      await this.deps.policy.check(intent);
      const signature = this.deps.keystore.withPrivateKey(key, (seed) =>
        signStellarHash(seed, key.address, hash),
      );
      return {
        decision: 'signed',
        response: { signature: signature.toString('base64'), publicKey: key.address, hash: txHash },
        // checkStellarIntent made the key's account the source, so the sequence number is a slot on it.
        spends: this.limitedSpends(intent, stellarSlot(transaction.sequence), txHash),
      };
    });
  }

  /** Signs an EIP-1559 transaction that does exactly what was declared. */
  signEvm(input: unknown, context: RequestContext): Promise<SignEvmResponse> {
    return this.decide('sign_evm', context, async (trail) => {
      const request = parse(signEvmRequest, input);
      trail.keyId = request.keyId;
      this.refuseWhilePaused();
      const key = await this.key(request.keyId, 'evm');
      const { transaction, unsignedHash } = decodeEvm(request, this.deps.evmChainId);
      trail.digest = `evm-unsigned-tx:${unsignedHash}`;
      checkEvmIntent(transaction, request.declared);
      const intent: SigningIntent = {
        chain: 'evm',
        keyId: key.id,
        keyRef: key.ref,
        address: key.address,
        chainId: this.deps.evmChainId,
        transfer: request.declared,
        maxFeeWei: transaction.gasLimit * (transaction.maxFeePerGas ?? 0n),
      };
      await this.deps.policy.check(intent);
      const signed = this.deps.keystore.withPrivateKey(key, (secret) =>
        signEvmTransaction(secret, key.address, transaction),
      );
      const hash = signed.hash;
      if (!hash) throw new Error('signed EVM transaction has no hash');
      trail.digest = `evm-tx:${hash}`;
      return {
        decision: 'signed',
        response: { signedTransaction: signed.serialized, hash },
        // Signed by the key, so sent from its address: the nonce is a slot on it.
        spends: this.limitedSpends(
          intent,
          evmSlot(this.deps.evmChainId, transaction.nonce),
          hash.toLowerCase(),
        ),
      };
    });
  }

  /** Refuses an authenticated request for a route that does not exist (audited like any refusal). */
  refuseRoute(context: RequestContext, refusal: SignerRefusal): Promise<never> {
    return this.decide('unknown_route', context, () => Promise.reject(refusal));
  }

  /**
   * Health: the request id is claimed, which proves the database takes writes. False when it does
   * not; a replayed health check is refused like any replay.
   */
  async health(context: RequestContext): Promise<boolean> {
    let fresh: boolean;
    try {
      fresh = await this.deps.audit.claim(context.requestId);
    } catch (error) {
      this.deps.logger.error({ err: error }, 'health check: database unavailable');
      return false;
    }
    if (fresh) return true;
    const refusal = new SignerRefusal('REPLAYED_REQUEST', 'request id already used');
    await this.deps.audit
      .record({
        action: 'health',
        decision: 'refused',
        requestId: context.requestId,
        reason: `${refusal.code}: ${refusal.message}`,
        digest: `body-sha256:${context.bodyDigest}`,
      })
      .catch(() => undefined);
    throw refusal;
  }

  private refuseWhilePaused(): void {
    if (this.deps.paused) {
      throw new SignerRefusal('SIGNER_PAUSED', 'signing is paused on this signer (SIGNER_PAUSED)');
    }
  }

  private limitedSpends(intent: SigningIntent, slot: string, txHash: string): SpendRecord | undefined {
    const spends = this.deps.policy.limitedSpends(intent);
    if (spends.length === 0) return undefined;
    if (!this.deps.spends) throw new Error('the policy has daily limits but the signer has no spend ledger');
    return { keyId: intent.keyId, slot, txHash, spends };
  }

  private async key(keyId: string, chain: SignerChain): Promise<KeyRecord> {
    const key = await this.deps.keystore.find(keyId);
    if (!key || key.chain !== chain) throw new SignerRefusal('UNKNOWN_KEY', `no ${chain} key ${keyId}`);
    return key;
  }

  private async decide<T>(
    action: AuditAction,
    context: RequestContext,
    work: (trail: Trail) => Promise<Outcome<T>>,
  ): Promise<T> {
    const { logger, audit } = this.deps;
    const trail: Trail = { keyId: null, digest: `body-sha256:${context.bodyDigest}` };
    let outcome: Outcome<T>;
    try {
      outcome = await work(trail);
    } catch (error) {
      throw await this.refuse(action, context, trail, error);
    }
    const entry = {
      action,
      decision: outcome.decision,
      requestId: context.requestId,
      keyId: trail.keyId,
      digest: trail.digest,
    };
    let committed: 'recorded' | 'replayed';
    if (outcome.spends) {
      try {
        committed = await this.deps.spends!.commit(entry, outcome.spends);
      } catch (error) {
        // A daily limit refusal is a decision like any other: audited, with its request id claimed.
        if (error instanceof DailyLimitExceededError) throw await this.refuse(action, context, trail, error);
        throw error;
      }
    } else {
      committed = await audit.commit(entry);
    }
    if (committed === 'replayed') {
      logger.warn({ requestId: context.requestId, action, keyId: trail.keyId }, 'replayed request refused');
      throw new SignerRefusal('REPLAYED_REQUEST', 'request id already used');
    }
    logger.info(
      {
        requestId: context.requestId,
        action,
        keyId: trail.keyId,
        decision: outcome.decision,
        digest: trail.digest,
      },
      'decision',
    );
    return outcome.response;
  }

  /** Records a refusal and returns what to answer: the refusal itself, or a replay refusal. */
  private async refuse(action: AuditAction, context: RequestContext, trail: Trail, error: unknown) {
    const { logger, audit } = this.deps;
    let refusal: SignerRefusal;
    if (error instanceof SignerRefusal) {
      refusal = error;
    } else {
      // Details stay in the log; the caller learns only that this signer cannot serve the request.
      logger.error(
        { err: error, requestId: context.requestId, action, keyId: trail.keyId },
        'signer failure',
      );
      refusal = new SignerRefusal('INTERNAL_ERROR', 'the signer failed to process the request');
    }
    try {
      const committed = await audit.commit({
        action,
        decision: 'refused',
        requestId: context.requestId,
        keyId: trail.keyId,
        reason: `${refusal.code}: ${refusal.message}`,
        digest: trail.digest,
      });
      if (committed === 'replayed') return new SignerRefusal('REPLAYED_REQUEST', 'request id already used');
    } catch {
      // Already logged by the audit log; a refusal stands without its row, a signature never does.
    }
    logger.warn(
      {
        requestId: context.requestId,
        action,
        keyId: trail.keyId,
        code: refusal.code,
        reason: refusal.message,
      },
      'refused',
    );
    return refusal;
  }
}
