/**
 * Ed25519 through `node:crypto`, for the double's hot paths: the SDK's own pure-JS signing and
 * verification manage a few hundred operations a second here, too slow for a double that must take
 * hundreds of payments a second. Same algorithm, same bytes, same verdicts.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { StrKey, xdr, type Keypair, type Transaction } from '@stellar/stellar-sdk';

// DER headers that wrap a raw 32-byte key as SubjectPublicKeyInfo / PKCS#8 for Ed25519 (RFC 8410).
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const publicKeys = new Map<string, { key: KeyObject; hint: Buffer }>();
const privateKeys = new WeakMap<Keypair, KeyObject>();

function publicKey(address: string): { key: KeyObject; hint: Buffer } {
  let cached = publicKeys.get(address);
  if (!cached) {
    const raw = StrKey.decodeEd25519PublicKey(address);
    cached = {
      key: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }),
      // A decorated signature's hint is the last 4 bytes of the public key.
      hint: Buffer.from(raw.subarray(28)),
    };
    publicKeys.set(address, cached);
  }
  return cached;
}

/** The signature hint of a G... address. */
export function signatureHint(address: string): Buffer {
  return publicKey(address).hint;
}

/** Whether `signature` is `address`'s signature of `data`. */
export function verifySignature(address: string, data: Buffer, signature: Buffer): boolean {
  return signature.length === 64 && verify(null, data, publicKey(address).key, signature);
}

/** Signs `tx` with `keypair`, as `tx.sign(keypair)` does. */
export function signTransaction(tx: Transaction, keypair: Keypair): void {
  let key = privateKeys.get(keypair);
  if (!key) {
    const der = Buffer.concat([PKCS8_PREFIX, keypair.rawSecretKey()]);
    key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    privateKeys.set(keypair, key);
  }
  const signature = sign(null, tx.hash(), key);
  tx.signatures.push(new xdr.DecoratedSignature({ hint: signatureHint(keypair.publicKey()), signature }));
}
