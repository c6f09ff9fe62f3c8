/**
 * What a user may type as the destination of a payment: a Stellar account (`G…`), a Stellar muxed
 * account (`M…`: a base account plus a 64-bit id, used by exchanges and other pooled accounts), an
 * EVM address (`0x…`) or the `@username` of a platform user. Everything else is refused with a
 * stable reason, never guessed: a payment to a mistyped address cannot be taken back.
 */
import { MuxedAccount, StrKey } from '@stellar/stellar-sdk';
import { getAddress } from 'ethers';
import { PermanentError } from '../errors.ts';

/** A destination the user typed, checked and normalized. */
export type Destination =
  | { kind: 'stellar'; address: string }
  | { kind: 'stellar-muxed'; address: string; baseAddress: string; muxedId: string }
  | { kind: 'evm'; address: string }
  | { kind: 'username'; username: string };

/** Why a destination was refused; stable, so callers can choose a message. */
export type InvalidDestinationReason =
  | 'empty'
  /** A Stellar secret seed (`S…`): the user is about to share their key. */
  | 'secret-key'
  /** Looks like a Stellar address but its checksum or length is wrong. */
  | 'stellar-invalid'
  /** Looks like an EVM address but is not 40 hex digits. */
  | 'evm-invalid'
  /** Mixed-case EVM address whose EIP-55 checksum does not match: a typo. */
  | 'evm-checksum'
  /** The zero address: whatever is sent there is burnt. */
  | 'evm-zero'
  /** Starts with `@` but breaks Telegram's username rules. */
  | 'username-invalid'
  | 'unrecognized';

/** The text is not a destination a payment can go to. */
export class InvalidDestinationError extends PermanentError {
  constructor(readonly reason: InvalidDestinationReason) {
    // The text itself is left out: it may be anything, including a secret key.
    super('DESTINATION_INVALID', `destination is invalid (${reason})`, { reason });
  }
}

/** Telegram usernames: 5–32 of a–z, 0–9 and `_`, starting with a letter, not ending with `_`. */
const USERNAME = /^[a-z][a-z0-9_]{3,30}[a-z0-9]$/;
const EVM_HEX = /^0x[0-9a-fA-F]{40}$/;
const ZERO_EVM = `0x${'0'.repeat(40)}`;
// Base32 StrKeys (56 characters, muxed 69), any case: the checksum decides, so accepting lower case
// loses nothing. Shorter words starting with G, M or S are not taken for a mistyped address.
const STRKEY = /^[GMS][A-Z2-7]{40,}$/;

/**
 * Parses a destination. Surrounding blanks are ignored; Stellar addresses may be typed in lower
 * case; an EVM address in mixed case must carry a valid EIP-55 checksum (all-lower or all-upper
 * carries none) and comes back checksummed; a username comes back lower-cased, without `@`.
 * Throws {@link InvalidDestinationError}.
 */
export function parseDestination(text: string): Destination {
  const trimmed = text.trim();
  if (trimmed === '') throw new InvalidDestinationError('empty');
  if (trimmed.startsWith('@')) return { kind: 'username', username: parseUsername(trimmed.slice(1)) };
  if (/^0x/i.test(trimmed)) return { kind: 'evm', address: parseEvmAddress(`0x${trimmed.slice(2)}`) };
  const upper = trimmed.toUpperCase();
  if (STRKEY.test(upper)) return parseStellar(upper);
  throw new InvalidDestinationError('unrecognized');
}

/** A Telegram username (without `@`), lower-cased; throws unless it follows Telegram's rules. */
export function parseUsername(text: string): string {
  const name = text.toLowerCase();
  if (!USERNAME.test(name) || name.includes('__')) throw new InvalidDestinationError('username-invalid');
  return name;
}

function parseEvmAddress(text: string): string {
  if (!EVM_HEX.test(text)) throw new InvalidDestinationError('evm-invalid');
  const hex = text.slice(2);
  const mixedCase = hex !== hex.toLowerCase() && hex !== hex.toUpperCase();
  let address: string;
  try {
    // getAddress validates the checksum of a mixed-case address and computes it otherwise.
    address = getAddress(mixedCase ? `0x${hex}` : `0x${hex.toLowerCase()}`);
  } catch {
    throw new InvalidDestinationError('evm-checksum');
  }
  if (address === ZERO_EVM) throw new InvalidDestinationError('evm-zero');
  return address;
}

function parseStellar(text: string): Destination {
  if (text.startsWith('S')) {
    if (StrKey.isValidEd25519SecretSeed(text)) throw new InvalidDestinationError('secret-key');
    throw new InvalidDestinationError('unrecognized');
  }
  if (text.startsWith('G')) {
    if (!StrKey.isValidEd25519PublicKey(text)) throw new InvalidDestinationError('stellar-invalid');
    return { kind: 'stellar', address: text };
  }
  if (!StrKey.isValidMed25519PublicKey(text)) throw new InvalidDestinationError('stellar-invalid');
  const muxed = MuxedAccount.fromAddress(text, '0');
  return {
    kind: 'stellar-muxed',
    address: text,
    baseAddress: muxed.baseAccount().accountId(),
    muxedId: muxed.id(),
  };
}

/** The chain an address destination belongs to; `null` for a username (any chain the user has a wallet on). */
export function destinationChain(destination: Destination): 'STELLAR' | 'EVM' | null {
  switch (destination.kind) {
    case 'stellar':
    case 'stellar-muxed':
      return 'STELLAR';
    case 'evm':
      return 'EVM';
    case 'username':
      return null;
  }
}

/** The account that actually holds the funds: the base `G…` of a muxed address, else the address itself. */
export function accountOf(destination: Exclude<Destination, { kind: 'username' }>): string {
  return destination.kind === 'stellar-muxed' ? destination.baseAddress : destination.address;
}
