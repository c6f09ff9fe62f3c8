/**
 * The private-key operations of each chain: generate, derive the address, sign. Callers own the
 * secret buffers and zero them after use.
 *
 * Stellar signs with node:crypto's ed25519 (OpenSSL), several times faster than the SDK's pure-JS
 * implementation. Ed25519 is deterministic, so the signature is byte for byte what the SDK's
 * `Keypair.sign` produces (a unit test holds this).
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { StrKey } from '@stellar/stellar-sdk';
import { SigningKey, computeAddress, type Transaction } from 'ethers';

const SECRET_BYTES = 32;
/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
/** Order of secp256k1: a private key is a scalar in [1, n-1]. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** A freshly generated key: the secret (zero it after sealing) and its public address. */
export interface GeneratedKey {
  secret: Buffer;
  address: string;
}

function rawEd25519PublicKey(privateKey: KeyObject): Buffer {
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
  if (!x) throw new Error('ed25519 public key missing from export');
  return Buffer.from(x, 'base64url');
}

/** The Stellar account id (G...) of a 32-byte ed25519 seed. */
export function stellarAddressOf(seed: Buffer): string {
  // DER import is slow in OpenSSL 3 but only runs when a key is created; the buffer can be wiped.
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
  try {
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    return StrKey.encodeEd25519PublicKey(rawEd25519PublicKey(privateKey));
  } finally {
    der.fill(0);
  }
}

/** A new random Stellar key. */
export function generateStellarKey(): GeneratedKey {
  const secret = randomBytes(SECRET_BYTES);
  return { secret, address: stellarAddressOf(secret) };
}

/**
 * Signs `hash` (a transaction hash) with the ed25519 `seed` of `address`. Refuses to sign if the
 * seed does not belong to `address`, so a mixed-up key can never answer for another account.
 *
 * The JWK import is the fast path into OpenSSL, but it takes the seed as a base64url string, which
 * cannot be wiped. That adds nothing to what a memory dump of this process already holds: the
 * master key lives here for the process's lifetime.
 */
export function signStellarHash(seed: Buffer, address: string, hash: Buffer): Buffer {
  const publicKey = StrKey.decodeEd25519PublicKey(address);
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: publicKey.toString('base64url') },
    format: 'jwk',
  });
  if (!rawEd25519PublicKey(privateKey).equals(publicKey)) {
    throw new Error(`the stored key does not belong to ${address}`);
  }
  return sign(null, hash, privateKey);
}

/** Whether 32 bytes are a valid secp256k1 private key. */
export function isSecp256k1PrivateKey(secret: Buffer): boolean {
  if (secret.length !== SECRET_BYTES) return false;
  const scalar = BigInt(`0x${secret.toString('hex')}`);
  return scalar > 0n && scalar < SECP256K1_N;
}

/** The checksummed EVM address of a secp256k1 private key. */
export function evmAddressOf(secret: Buffer): string {
  if (!isSecp256k1PrivateKey(secret)) throw new Error('not a secp256k1 private key');
  // ethers takes keys as hex strings only; see signStellarHash on why a transient string is accepted.
  return computeAddress(new SigningKey(`0x${secret.toString('hex')}`).publicKey);
}

/** A new random EVM key. */
export function generateEvmKey(): GeneratedKey {
  for (;;) {
    const secret = randomBytes(SECRET_BYTES);
    // Out of range with probability ~2^-128; drawn again rather than reduced, to stay uniform.
    if (isSecp256k1PrivateKey(secret)) return { secret, address: evmAddressOf(secret) };
    secret.fill(0);
  }
}

/**
 * Signs a copy of an unsigned ethers transaction with the key of `address` and returns it (its
 * `serialized` is what goes on the wire). Refuses if the key does not belong to `address`.
 */
export function signEvmTransaction(secret: Buffer, address: string, transaction: Transaction): Transaction {
  if (!isSecp256k1PrivateKey(secret)) throw new Error('not a secp256k1 private key');
  const signingKey = new SigningKey(`0x${secret.toString('hex')}`);
  if (computeAddress(signingKey.publicKey).toLowerCase() !== address.toLowerCase()) {
    throw new Error(`the stored key does not belong to ${address}`);
  }
  const signed = transaction.clone();
  signed.signature = signingKey.sign(signed.unsignedHash);
  return signed;
}
