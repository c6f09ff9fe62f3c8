import { Account, Keypair, MuxedAccount } from '@stellar/stellar-sdk';
import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import {
  InvalidDestinationError,
  accountOf,
  destinationChain,
  parseDestination,
  parseUsername,
  type Destination,
} from './addresses.ts';

function reasonOf(text: string): string | undefined {
  try {
    parseDestination(text);
  } catch (error) {
    if (error instanceof InvalidDestinationError) return error.reason;
    throw error;
  }
  return undefined;
}

/** Changes one base32 character in the middle, keeping the length: the checksum must catch it. */
function mistype(address: string): string {
  const index = 20;
  const replacement = address[index] === 'A' ? 'B' : 'A';
  return `${address.slice(0, index)}${replacement}${address.slice(index + 1)}`;
}

describe('parseDestination', () => {
  describe('with a Stellar account address', () => {
    const account = Keypair.random().publicKey();

    it('accepts it as it is, and in lower case, ignoring blanks around it', () => {
      expect(parseDestination(account)).toEqual({ kind: 'stellar', address: account });
      expect(parseDestination(`  ${account.toLowerCase()}\n`)).toEqual({ kind: 'stellar', address: account });
    });

    it('refuses one mistyped character, a missing character and a secret key', () => {
      expect(reasonOf(mistype(account))).toBe('stellar-invalid');
      expect(reasonOf(account.slice(0, -1))).toBe('stellar-invalid');
      expect(reasonOf(Keypair.random().secret())).toBe('secret-key');
    });
  });

  describe('with a muxed Stellar address', () => {
    const base = Keypair.random().publicKey();
    const muxed = new MuxedAccount(new Account(base, '0'), '18446744073709551615').accountId();

    it('keeps the muxed address and names its base account and id', () => {
      const destination = parseDestination(muxed);
      expect(destination).toEqual({
        kind: 'stellar-muxed',
        address: muxed,
        baseAddress: base,
        muxedId: '18446744073709551615',
      });
      expect(accountOf(destination as Exclude<Destination, { kind: 'username' }>)).toBe(base);
      expect(destinationChain(destination)).toBe('STELLAR');
    });

    it('refuses it when a character is mistyped', () => {
      expect(reasonOf(mistype(muxed))).toBe('stellar-invalid');
    });
  });

  describe('with an EVM address', () => {
    const checksummed = Wallet.createRandom().address;

    it('accepts all-lower and all-upper case and returns it checksummed', () => {
      expect(parseDestination(checksummed.toLowerCase())).toEqual({ kind: 'evm', address: checksummed });
      expect(parseDestination(`0x${checksummed.slice(2).toUpperCase()}`)).toEqual({
        kind: 'evm',
        address: checksummed,
      });
      expect(parseDestination(`0X${checksummed.slice(2)}`)).toEqual({ kind: 'evm', address: checksummed });
      expect(destinationChain(parseDestination(checksummed))).toBe('EVM');
    });

    it('refuses a mixed-case address whose checksum does not match', () => {
      const letter = [...checksummed.slice(2)].findIndex((c) => /[a-fA-F]/.test(c)) + 2;
      const flipped = checksummed[letter]!;
      const swapped = flipped === flipped.toUpperCase() ? flipped.toLowerCase() : flipped.toUpperCase();
      const broken = `${checksummed.slice(0, letter)}${swapped}${checksummed.slice(letter + 1)}`;
      expect(reasonOf(broken)).toBe('evm-checksum');
    });

    it('refuses a wrong length, non-hex digits and the zero address', () => {
      expect(reasonOf(checksummed.slice(0, -1))).toBe('evm-invalid');
      expect(reasonOf(`0x${'g'.repeat(40)}`)).toBe('evm-invalid');
      expect(reasonOf(`0x${'0'.repeat(40)}`)).toBe('evm-zero');
    });
  });

  describe('with a @username', () => {
    it('accepts Telegram usernames and lower-cases them', () => {
      expect(parseDestination('@Alice_Smith')).toEqual({ kind: 'username', username: 'alice_smith' });
      expect(parseDestination('@abcde')).toEqual({ kind: 'username', username: 'abcde' });
      expect(parseDestination(`@a${'b'.repeat(31)}`)).toEqual({
        kind: 'username',
        username: `a${'b'.repeat(31)}`,
      });
      expect(destinationChain(parseDestination('@abcde'))).toBeNull();
    });

    it('refuses names Telegram would not allow', () => {
      for (const name of [
        '@abcd',
        `@a${'b'.repeat(32)}`,
        '@1abcde',
        '@_abcde',
        '@abcde_',
        '@ab__cde',
        '@ab-cde',
        '@',
      ]) {
        expect(reasonOf(name), name).toBe('username-invalid');
      }
    });
  });

  it('refuses blank text and anything that is no kind of destination', () => {
    expect(reasonOf('   ')).toBe('empty');
    for (const text of ['alice', 'alice*example.com', 'GOOGLE', 'https://t.me/alice', '12345']) {
      expect(reasonOf(text), text).toBe('unrecognized');
    }
  });

  it('keeps the typed text out of the error, since it may be a secret key', () => {
    const secret = Keypair.random().secret();
    try {
      parseDestination(secret);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(secret);
      expect(JSON.stringify((error as InvalidDestinationError).fields)).not.toContain(secret);
      return;
    }
    expect.unreachable('a secret key was accepted as a destination');
  });
});

describe('parseUsername', () => {
  it('reads a name without the @', () => {
    expect(parseUsername('Bob_Builder')).toBe('bob_builder');
  });
});
