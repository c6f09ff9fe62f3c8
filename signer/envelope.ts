/**
 * Envelope encryption of private keys. Each private key is sealed with its own random data key
 * (AES-256-GCM), and the data key is sealed with the master key (the KEK). Rotating the KEK then
 * re-seals 32-byte data keys only; the private keys' ciphertexts never change.
 *
 * Both seals carry authenticated data naming the key id, chain and address, so a ciphertext copied
 * onto another row (to make the signer sign with a different key than the row claims) fails to open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A master key and its public fingerprint. */
export interface Kek {
  /** Fingerprint stored beside each wrapped data key; says which KEK wrapped it, reveals nothing of it. */
  readonly id: string;
  readonly key: Buffer;
}

/** What a sealed key is bound to; part of the authenticated data of both seals. */
export interface KeyBinding {
  keyId: string;
  chain: string;
  address: string;
}

/** The stored form of one private key: `*Ciphertext` fields hold the ciphertext followed by the GCM tag. */
export interface SealedKey {
  keyCiphertext: Buffer;
  keyNonce: Buffer;
  wrappedDataKey: Buffer;
  wrapNonce: Buffer;
  kekId: string;
}

/** A sealed key did not open: wrong KEK, or ciphertext, nonce or binding altered. */
export class SealOpenError extends Error {
  constructor(readonly part: 'data key' | 'private key') {
    super(`${part} failed authentication`);
    this.name = new.target.name;
  }
}

/**
 * Builds a {@link Kek} from 32 raw bytes. The id is a truncated, domain-separated SHA-256: 64 bits
 * tell master keys apart, and a hash of 256 random bits gives nothing away about them.
 */
export function kekFromBytes(bytes: Buffer): Kek {
  if (bytes.length !== KEY_BYTES) throw new Error(`a master key has ${KEY_BYTES} bytes, got ${bytes.length}`);
  const id = createHash('sha256')
    .update('chatpay-signer/kek-id/v1\0')
    .update(bytes)
    .digest('hex')
    .slice(0, 16);
  return { id: `kek-${id}`, key: Buffer.from(bytes) };
}

/** {@link kekFromBytes} of a base64 string (SIGNER_MASTER_KEY). */
export function kekFromBase64(base64: string): Kek {
  const bytes = Buffer.from(base64, 'base64');
  try {
    return kekFromBytes(bytes);
  } finally {
    bytes.fill(0);
  }
}

function aad(purpose: 'key' | 'dek', binding: KeyBinding): Buffer {
  return Buffer.from(`chatpay-signer/${purpose}/v1\0${binding.keyId}\0${binding.chain}\0${binding.address}`);
}

function seal(key: Buffer, plaintext: Buffer, additionalData: Buffer): { ciphertext: Buffer; nonce: Buffer } {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(additionalData);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext, nonce };
}

/** Opens a seal into a fresh buffer the caller must zero; plaintext is never returned unauthenticated. */
function open(
  key: Buffer,
  sealed: Buffer,
  nonce: Buffer,
  additionalData: Buffer,
  part: SealOpenError['part'],
): Buffer {
  if (sealed.length < TAG_BYTES || nonce.length !== NONCE_BYTES) throw new SealOpenError(part);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(additionalData);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  // GCM hands out plaintext before checking the tag; it is wiped if the check fails.
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    throw new SealOpenError(part);
  }
  return plaintext;
}

/** Seals `privateKey` under a fresh data key, itself sealed under `kek`. The caller keeps ownership of `privateKey`. */
export function sealPrivateKey(privateKey: Buffer, kek: Kek, binding: KeyBinding): SealedKey {
  const dataKey = randomBytes(KEY_BYTES);
  try {
    const sealedKey = seal(dataKey, privateKey, aad('key', binding));
    const wrapped = seal(kek.key, dataKey, aad('dek', binding));
    return {
      keyCiphertext: sealedKey.ciphertext,
      keyNonce: sealedKey.nonce,
      wrappedDataKey: wrapped.ciphertext,
      wrapNonce: wrapped.nonce,
      kekId: kek.id,
    };
  } finally {
    dataKey.fill(0);
  }
}

/** Opens a sealed private key. Returns a fresh buffer: zero it as soon as it has been used. */
export function openPrivateKey(sealed: SealedKey, kek: Kek, binding: KeyBinding): Buffer {
  const dataKey = open(kek.key, sealed.wrappedDataKey, sealed.wrapNonce, aad('dek', binding), 'data key');
  try {
    return open(dataKey, sealed.keyCiphertext, sealed.keyNonce, aad('key', binding), 'private key');
  } finally {
    dataKey.fill(0);
  }
}

/** Re-seals the data key of `sealed` from `from` to `to`; the private key's ciphertext is unchanged. */
export function rewrapDataKey(sealed: SealedKey, from: Kek, to: Kek, binding: KeyBinding): SealedKey {
  const dataKey = open(from.key, sealed.wrappedDataKey, sealed.wrapNonce, aad('dek', binding), 'data key');
  try {
    const wrapped = seal(to.key, dataKey, aad('dek', binding));
    return { ...sealed, wrappedDataKey: wrapped.ciphertext, wrapNonce: wrapped.nonce, kekId: to.id };
  } finally {
    dataKey.fill(0);
  }
}
