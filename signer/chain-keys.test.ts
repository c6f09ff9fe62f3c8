import { randomBytes } from 'node:crypto';
import { Keypair } from '@stellar/stellar-sdk';
import { Transaction, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import {
  evmAddressOf,
  generateEvmKey,
  generateStellarKey,
  isSecp256k1PrivateKey,
  signEvmTransaction,
  signStellarHash,
  stellarAddressOf,
} from './chain-keys.ts';

describe('a Stellar key', () => {
  it('has the address the SDK derives from the same seed', () => {
    const { secret, address } = generateStellarKey();
    expect(address).toBe(Keypair.fromRawEd25519Seed(secret).publicKey());
    expect(stellarAddressOf(secret)).toBe(address);
  });

  it('signs byte for byte what the SDK Keypair signs', () => {
    const { secret, address } = generateStellarKey();
    const keypair = Keypair.fromRawEd25519Seed(secret);
    for (let round = 0; round < 20; round += 1) {
      const hash = randomBytes(32);
      const signature = signStellarHash(secret, address, hash);
      expect(signature.equals(keypair.sign(hash))).toBe(true);
      expect(Keypair.fromPublicKey(address).verify(hash, signature)).toBe(true);
    }
  });

  it('refuses to sign for an address the seed does not belong to', () => {
    const { secret } = generateStellarKey();
    const other = Keypair.random().publicKey();
    expect(() => signStellarHash(secret, other, randomBytes(32))).toThrow('does not belong');
  });
});

describe('an EVM key', () => {
  it('has the address ethers derives from the same private key', () => {
    const { secret, address } = generateEvmKey();
    expect(address).toBe(new Wallet(`0x${secret.toString('hex')}`).address);
    expect(evmAddressOf(secret)).toBe(address);
  });

  it('signs a transaction that recovers to its address, exactly as an ethers Wallet does', async () => {
    const { secret, address } = generateEvmKey();
    const unsigned = Transaction.from({
      type: 2,
      chainId: 31337n,
      nonce: 3,
      gasLimit: 21_000n,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 1_000_000_000n,
      to: Wallet.createRandom().address,
      value: 10n ** 15n,
      data: '0x',
    });
    const signed = signEvmTransaction(secret, address, unsigned);
    expect(Transaction.from(signed.serialized).from).toBe(address);
    expect(signed.serialized).toBe(await new Wallet(`0x${secret.toString('hex')}`).signTransaction(unsigned));
    expect(unsigned.signature).toBeNull();
  });

  it('accepts only scalars between 1 and the curve order', () => {
    expect(isSecp256k1PrivateKey(Buffer.alloc(32))).toBe(false);
    expect(isSecp256k1PrivateKey(Buffer.alloc(32, 0xff))).toBe(false);
    expect(isSecp256k1PrivateKey(Buffer.alloc(31, 1))).toBe(false);
    expect(isSecp256k1PrivateKey(Buffer.alloc(32, 1))).toBe(true);
  });

  it('refuses to sign for an address the key does not belong to', () => {
    const { secret } = generateEvmKey();
    const unsigned = Transaction.from({ type: 2, chainId: 1n, to: Wallet.createRandom().address, value: 1n });
    expect(() => signEvmTransaction(secret, Wallet.createRandom().address, unsigned)).toThrow(
      'does not belong',
    );
  });
});
