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

/** An operation the caller declares it wants signed. Anything in the envelope not declared is refused. */
export const declaredStellarOperation = z.discriminatedUnion('type', [
  z.object({ type: z.literal('createAccount'), destination: z.string(), startingBalance: stellarAmount }),
  z.object({ type: z.literal('payment'), destination: z.string(), asset: stellarAsset, amount: stellarAmount }),
]);
export type DeclaredStellarOperation = z.infer<typeof declaredStellarOperation>;

export const signStellarRequest = z.object({
  keyId: z.uuid(),
  networkPassphrase: z.string().min(1),
  /** Base64 TransactionEnvelope XDR, unsigned or partly signed. */
  transactionXdr: z.string().min(1).max(100_000),
  declaredOperations: z.array(declaredStellarOperation).min(1).max(100),
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

const weiString = z.string().regex(/^\d{1,78}$/);
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

export const signEvmRequest = z.object({
  keyId: z.uuid(),
  chainId: z.number().int().positive(),
  transaction: unsignedEvmTransaction,
  /** What the caller means to do; the signer refuses a transaction that does anything else. */
  declared: z.object({ to: evmAddress, value: weiString, data: hexData.default('0x') }),
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
  'WRONG_NETWORK',
  'WRONG_SOURCE',
  'UNDECLARED_OPERATION',
  'AUDIT_UNAVAILABLE',
] as const;
export type SignerErrorCode = (typeof signerErrorCodes)[number];
export const signerErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** The routes, so client and server cannot disagree on a path. */
export const signerRoutes = {
  createKey: '/v1/keys',
  signStellar: '/v1/sign/stellar',
  signEvm: '/v1/sign/evm',
  health: '/v1/health',
} as const;
