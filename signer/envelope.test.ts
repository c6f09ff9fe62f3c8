import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  SealOpenError,
  kekFromBase64,
  kekFromBytes,
  openPrivateKey,
  rewrapDataKey,
  sealPrivateKey,
} from './envelope.ts';

const kek = kekFromBytes(randomBytes(32));
const binding = { keyId: randomUUID(), chain: 'stellar', address: 'GADDRESS' };

function flipFirstBit(buffer: Buffer): Buffer {
  const copy = Buffer.from(buffer);
  copy[0] = copy[0]! ^ 1;
  return copy;
}

describe('sealing a private key', () => {
  it('opens again to the same bytes with the same master key and binding', () => {
    const secret = randomBytes(32);
    const sealed = sealPrivateKey(secret, kek, binding);
    expect(openPrivateKey(sealed, kek, binding).equals(secret)).toBe(true);
  });

  it('keeps neither the private key nor the data key in the clear', () => {
    const secret = randomBytes(32);
    const sealed = sealPrivateKey(secret, kek, binding);
    expect(sealed.keyCiphertext.includes(secret)).toBe(false);
    expect(sealed.keyCiphertext).toHaveLength(32 + 16);
    expect(sealed.wrappedDataKey).toHaveLength(32 + 16);
    expect(sealed.keyNonce).toHaveLength(12);
    expect(sealed.wrapNonce).toHaveLength(12);
  });

  it('uses a fresh data key and nonces each time', () => {
    const secret = randomBytes(32);
    const first = sealPrivateKey(secret, kek, binding);
    const second = sealPrivateKey(secret, kek, binding);
    expect(first.keyCiphertext.equals(second.keyCiphertext)).toBe(false);
    expect(first.keyNonce.equals(second.keyNonce)).toBe(false);
    expect(first.wrappedDataKey.equals(second.wrappedDataKey)).toBe(false);
  });

  it('records which master key wrapped it by a fingerprint that is not the key', () => {
    const sealed = sealPrivateKey(randomBytes(32), kek, binding);
    expect(sealed.kekId).toBe(kek.id);
    expect(kek.id).toMatch(/^kek-[0-9a-f]{16}$/);
    expect(kek.id).not.toContain(kek.key.toString('hex').slice(0, 16));
    expect(kekFromBase64(kek.key.toString('base64')).id).toBe(kek.id);
  });
});

describe('when a sealed key was tampered with', () => {
  const secret = randomBytes(32);
  const sealed = sealPrivateKey(secret, kek, binding);

  it.each([
    ['another key id', { ...binding, keyId: randomUUID() }],
    ['another chain', { ...binding, chain: 'evm' }],
    ['another address', { ...binding, address: 'GOTHER' }],
  ])('refuses to open it under %s (a row swap)', (_what, otherBinding) => {
    expect(() => openPrivateKey(sealed, kek, otherBinding)).toThrow(SealOpenError);
  });

  it('refuses a changed ciphertext, tag or nonce', () => {
    const tag = Buffer.from(sealed.keyCiphertext);
    tag[tag.length - 1] = tag[tag.length - 1]! ^ 1;
    expect(() =>
      openPrivateKey({ ...sealed, keyCiphertext: flipFirstBit(sealed.keyCiphertext) }, kek, binding),
    ).toThrow('private key failed authentication');
    expect(() => openPrivateKey({ ...sealed, keyCiphertext: tag }, kek, binding)).toThrow(SealOpenError);
    expect(() =>
      openPrivateKey({ ...sealed, keyNonce: flipFirstBit(sealed.keyNonce) }, kek, binding),
    ).toThrow(SealOpenError);
    expect(() =>
      openPrivateKey({ ...sealed, wrappedDataKey: flipFirstBit(sealed.wrappedDataKey) }, kek, binding),
    ).toThrow('data key failed authentication');
  });

  it('refuses a data key from another row', () => {
    const other = sealPrivateKey(randomBytes(32), kek, binding);
    const swapped = { ...sealed, wrappedDataKey: other.wrappedDataKey, wrapNonce: other.wrapNonce };
    expect(() => openPrivateKey(swapped, kek, binding)).toThrow(SealOpenError);
  });

  it('refuses to open it with another master key', () => {
    expect(() => openPrivateKey(sealed, kekFromBytes(randomBytes(32)), binding)).toThrow('data key failed');
  });
});

describe('re-wrapping under a new master key', () => {
  it('opens with the new master key only, with the private key ciphertext unchanged', () => {
    const secret = randomBytes(32);
    const sealed = sealPrivateKey(secret, kek, binding);
    const next = kekFromBytes(randomBytes(32));
    const rewrapped = rewrapDataKey(sealed, kek, next, binding);
    expect(rewrapped.kekId).toBe(next.id);
    expect(rewrapped.keyCiphertext.equals(sealed.keyCiphertext)).toBe(true);
    expect(openPrivateKey(rewrapped, next, binding).equals(secret)).toBe(true);
    expect(() => openPrivateKey(rewrapped, kek, binding)).toThrow(SealOpenError);
  });
});

describe('a master key', () => {
  it('must be 32 bytes', () => {
    expect(() => kekFromBytes(randomBytes(16))).toThrow('32 bytes');
  });
});
