/**
 * The key service's wire contract: the only module the signer shares with the rest of the platform.
 * Requests and responses are JSON; amounts are strings (7-decimal XLM amounts, wei as decimal
 * strings), never numbers.
 */
import { z } from 'zod';

export const signerChain = z.enum(['stellar', 'evm']);
export type SignerChain = z.infer<typeof signerChain>;

/** Idempotency reference: the same ref always yields the same key (e.g. `wallet:42:stellar`). */
export const keyRef = z.string().regex(/^[A-Za-z0-9:_-]{1,128}$/);

export const createKeyRequest = z.object({ chain: signerChain, ref: keyRef });
export type CreateKeyRequest = z.infer<typeof createKeyRequest>;
export const createKeyResponse = z.object({ keyId: z.uuid(), chain: signerChain, address: z.string() });
export type CreateKeyResponse = z.infer<typeof createKeyResponse>;

const stellarAmount = z.string().regex(/^\d{1,12}(\.\d{1,7})?$/);
const stellarAsset = z.union([
  z.literal('native'),
  z.object({ code: z.string().regex(/^[A-Za-z0-9]{1,12}$/), issuer: z.string() }),
]);

/**
 * An operation the caller declares it wants signed. Anything in the envelope not declared is refused.
 * Amounts are compared exactly after normalizing to 7 decimals ("2" equals "2.0000000").
 */
export const declaredStellarOperation = z.discriminatedUnion('type', [
  z.object({ type: z.literal('createAccount'), destination: z.string(), startingBalance: stellarAmount }),
  z.object({
    type: z.literal('payment'),
    destination: z.string(),
    asset: stellarAsset,
    amount: stellarAmount,
  }),
]);
export type DeclaredStellarOperation = z.infer<typeof declaredStellarOperation>;

const hash32 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 32 bytes, hex');
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * The memo the caller declares. Compared exactly: text by its UTF-8 bytes, id as a number, hash and
 * return by their bytes. A request without one declares that the envelope has no memo.
 */
export const declaredStellarMemo = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    value: z
      .string()
      .refine((value) => new TextEncoder().encode(value).length <= 28, 'a text memo is at most 28 bytes'),
  }),
  z.object({
    type: z.literal('id'),
    value: z
      .string()
      .regex(/^\d{1,20}$/, 'an id memo is an unsigned 64-bit decimal')
      .refine((value) => BigInt(value) <= UINT64_MAX, 'an id memo is an unsigned 64-bit decimal'),
  }),
  z.object({ type: z.literal('hash'), value: hash32 }),
  z.object({ type: z.literal('return'), value: hash32 }),
]);
export type DeclaredStellarMemo = z.infer<typeof declaredStellarMemo>;

/**
 * A Stellar signing request. Besides network, source and operations, the envelope must carry
 * exactly the declared memo (none when `memo` is absent) and time bounds whose `maxTime` is set and
 * at most the signer's validity window (SIGNER_STELLAR_MAX_VALIDITY_SECONDS, default 300 s) ahead:
 * every signed envelope provably expires.
 */
export const signStellarRequest = z.object({
  keyId: z.uuid(),
  networkPassphrase: z.string().min(1),
  /** Base64 TransactionEnvelope XDR, unsigned or partly signed. */
  transactionXdr: z.string().min(1).max(100_000),
  /** Every operation of the envelope, in envelope order; an envelope with any other operation is refused. */
  declaredOperations: z.array(declaredStellarOperation).min(1).max(100),
  /** The envelope's memo; absent means the envelope must have none. */
  memo: declaredStellarMemo.optional(),
});
export type SignStellarRequest = z.infer<typeof signStellarRequest>;
export const signStellarResponse = z.object({
  /** Base64 ed25519 signature over the transaction hash; attach with `Transaction.addSignature`. */
  signature: z.string(),
  publicKey: z.string(),
  /** Hex transaction hash the signature covers. */
  hash: z.string(),
});
export type SignStellarResponse = z.infer<typeof signStellarResponse>;

const UINT256_MAX = 2n ** 256n - 1n;
/** A uint256 as a decimal string (wei, token base units). */
const weiString = z
  .string()
  .regex(/^\d{1,78}$/)
  .refine((value) => BigInt(value) <= UINT256_MAX, 'must fit in 256 bits');
const hexData = z.string().regex(/^0x([0-9a-fA-F]{2})*$/);
const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/);

/** An unsigned EIP-1559 transaction. Numbers that can exceed 2^53 are decimal strings. */
export const unsignedEvmTransaction = z.object({
  to: evmAddress,
  value: weiString,
  data: hexData.default('0x'),
  nonce: z.number().int().nonnegative(),
  gasLimit: weiString,
  maxFeePerGas: weiString,
  maxPriorityFeePerGas: weiString,
  chainId: z.number().int().positive(),
});
export type UnsignedEvmTransaction = z.infer<typeof unsignedEvmTransaction>;

/**
 * The transfer an EVM transaction must be, and nothing else:
 * - `native`: `value` wei to `to`, no call data;
 * - `erc20`: a call to `token` with value 0 and data exactly `transfer(to, amount)` (selector
 *   0xa9059cbb, `amount` in the token's base units).
 * Any other contract call cannot be declared, so it is never signed.
 */
export const declaredEvmTransfer = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('native'), to: evmAddress, value: weiString }),
  z.object({ kind: z.literal('erc20'), token: evmAddress, to: evmAddress, amount: weiString }),
]);
export type DeclaredEvmTransfer = z.infer<typeof declaredEvmTransfer>;

export const signEvmRequest = z.object({
  keyId: z.uuid(),
  chainId: z.number().int().positive(),
  transaction: unsignedEvmTransaction,
  /** What the caller means to do; the signer decodes the transaction and refuses anything else. */
  declared: declaredEvmTransfer,
});
export type SignEvmRequest = z.infer<typeof signEvmRequest>;
export const signEvmResponse = z.object({ signedTransaction: hexData, hash: z.string() });
export type SignEvmResponse = z.infer<typeof signEvmResponse>;

export const healthResponse = z.object({ ok: z.boolean() });

/** Stable refusal codes the signer answers with (HTTP 4xx body `{ error: { code, message } }`). */
export const signerErrorCodes = [
  'UNAUTHENTICATED',
  'STALE_REQUEST',
  'REPLAYED_REQUEST',
  'INVALID_REQUEST',
  'UNKNOWN_KEY',
  /** The ref already names a key on the other chain. */
  'KEY_REF_CONFLICT',
  'WRONG_NETWORK',
  'WRONG_SOURCE',
  'UNDECLARED_OPERATION',
  /** An envelope kind the signer never signs (Stellar fee bumps). */
  'UNSUPPORTED_TRANSACTION',
  /** The fee the transaction may charge is above the signer's cap: fees move money too. */
  'FEE_TOO_HIGH',
  /** A Stellar envelope without a `maxTime`, or valid for longer than the signer allows. */
  'INVALID_TIME_BOUNDS',
  /** The payload is what was declared, but the signing policy does not allow it. */
  'POLICY_DENIED',
  /** The key has moved as much of the asset today (UTC) as its daily limit allows. */
  'DAILY_LIMIT_EXCEEDED',
  /** Signing is switched off (SIGNER_PAUSED); keys can still be created. Retry later. */
  'SIGNER_PAUSED',
  'AUDIT_UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;
export type SignerErrorCode = (typeof signerErrorCodes)[number];

/**
 * HTTP status of each refusal. 401: the request itself is not trusted; 403: the signer understood
 * and will not sign; 5xx: the signer could not decide or is paused, so a retry with a new request id
 * may succeed later.
 * A body over the size limit is answered 413 with INVALID_REQUEST.
 */
export const signerErrorStatus: Record<SignerErrorCode, number> = {
  UNAUTHENTICATED: 401,
  STALE_REQUEST: 401,
  REPLAYED_REQUEST: 401,
  INVALID_REQUEST: 400,
  UNKNOWN_KEY: 404,
  KEY_REF_CONFLICT: 409,
  WRONG_NETWORK: 403,
  WRONG_SOURCE: 403,
  UNDECLARED_OPERATION: 403,
  UNSUPPORTED_TRANSACTION: 403,
  FEE_TOO_HIGH: 403,
  INVALID_TIME_BOUNDS: 403,
  POLICY_DENIED: 403,
  DAILY_LIMIT_EXCEEDED: 403,
  SIGNER_PAUSED: 503,
  AUDIT_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};
export const signerErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The routes, so client and server cannot disagree on a path. */
export const signerRoutes = {
  createKey: '/v1/keys',
  signStellar: '/v1/sign/stellar',
  signEvm: '/v1/sign/evm',
  health: '/v1/health',
} as const;
