/**
 * The signer decodes every payload itself and checks it against what the caller declares: the
 * network, the source account, each operation, the memo and the validity window (Stellar); the
 * chain and the one transfer (EVM). A caller that is wrong (or compromised) cannot get a signature
 * on something it did not say it wanted; what it may want at all is policy.ts.
 */
import {
  FeeBumpTransaction,
  TransactionBuilder,
  extractBaseAddress,
  type Asset,
  type Memo,
  type Transaction,
} from '@stellar/stellar-sdk';
import { Transaction as EvmTransaction } from 'ethers';
import type {
  DeclaredEvmTransfer,
  DeclaredStellarMemo,
  DeclaredStellarOperation,
  SignEvmRequest,
  SignStellarRequest,
} from '../core/signer-protocol/schema.ts';
import { SignerRefusal } from './errors.ts';

const STELLAR_AMOUNT = /^(\d+)(?:\.(\d{1,7}))?$/;

/** `"2"`, `"02.5"` and `"2.5000000"` all become the SDK's form (`"2.0000000"`, `"2.5000000"`); anything else is undefined. */
export function normalizeStellarAmount(amount: string): string | undefined {
  const match = STELLAR_AMOUNT.exec(amount);
  if (!match) return undefined;
  const whole = match[1]!.replace(/^0+(?=\d)/, '');
  return `${whole}.${(match[2] ?? '').padEnd(7, '0')}`;
}

/** A decoded Stellar transaction (never a fee bump) and the hash a signature covers. */
export interface DecodedStellar {
  transaction: Transaction;
  hash: Buffer;
}

/**
 * Decodes the envelope for the configured network. The network passphrase is part of what is
 * signed, so a request for any other network is refused before anything else.
 */
export function decodeStellar(request: SignStellarRequest, networkPassphrase: string): DecodedStellar {
  if (request.networkPassphrase !== networkPassphrase) {
    throw new SignerRefusal(
      'WRONG_NETWORK',
      'the transaction is for another Stellar network than this signer serves',
    );
  }
  let decoded: Transaction | FeeBumpTransaction;
  try {
    decoded = TransactionBuilder.fromXDR(request.transactionXdr, networkPassphrase);
  } catch {
    throw new SignerRefusal('INVALID_REQUEST', 'transactionXdr is not a Stellar transaction envelope');
  }
  if (decoded instanceof FeeBumpTransaction) {
    throw new SignerRefusal('UNSUPPORTED_TRANSACTION', 'fee-bump envelopes are not signed');
  }
  return { transaction: decoded, hash: decoded.hash() };
}

/** Muxed (M...) accounts are judged by the G account underneath: that is whose key signs and pays. */
function baseAccount(address: string): string | undefined {
  try {
    return extractBaseAddress(address);
  } catch {
    return undefined;
  }
}

function describeAsset(asset: Asset): string {
  return asset.isNative() ? 'native' : `${asset.getCode()}:${asset.getIssuer()}`;
}

function declaredAssetMatches(
  declared: DeclaredStellarOperation & { type: 'payment' },
  asset: Asset,
): boolean {
  if (declared.asset === 'native') return asset.isNative();
  return (
    !asset.isNative() &&
    asset.getCode() === declared.asset.code &&
    asset.getIssuer() === declared.asset.issuer
  );
}

/** Why operation `operation` differs from `declared`, or undefined when it is exactly the declared one. */
function operationMismatch(operation: Transaction['operations'][number], declared: DeclaredStellarOperation) {
  if (operation.type !== declared.type) return `is a ${operation.type}, declared a ${declared.type}`;
  if (operation.type === 'createAccount' && declared.type === 'createAccount') {
    if (operation.destination !== declared.destination) return `creates ${operation.destination}`;
    if (operation.startingBalance !== normalizeStellarAmount(declared.startingBalance)) {
      return `has starting balance ${operation.startingBalance}`;
    }
    return undefined;
  }
  if (operation.type === 'payment' && declared.type === 'payment') {
    if (operation.destination !== declared.destination) return `pays ${operation.destination}`;
    if (!declaredAssetMatches(declared, operation.asset)) return `pays in ${describeAsset(operation.asset)}`;
    if (operation.amount !== normalizeStellarAmount(declared.amount)) return `pays ${operation.amount}`;
    return undefined;
  }
  // Default deny: a type without a comparison above is never signed, even when declared.
  return `is a ${operation.type}, which the signer does not sign`;
}

/**
 * Refuses unless `address` is the source of the transaction and of every operation that names one,
 * and the operations are exactly the declared ones, in order, compared field by field (amounts
 * normalized to 7 decimals, addresses and asset codes as exact strings).
 */
export function checkStellarIntent(
  transaction: Transaction,
  declared: readonly DeclaredStellarOperation[],
  address: string,
): void {
  if (baseAccount(transaction.source) !== address) {
    throw new SignerRefusal(
      'WRONG_SOURCE',
      `the transaction source ${transaction.source} is not this key's account`,
    );
  }
  transaction.operations.forEach((operation, index) => {
    if (operation.source !== undefined && baseAccount(operation.source) !== address) {
      throw new SignerRefusal(
        'WRONG_SOURCE',
        `operation ${index} has source ${operation.source}, not this key's account`,
      );
    }
  });
  if (transaction.operations.length !== declared.length) {
    throw new SignerRefusal(
      'UNDECLARED_OPERATION',
      `the transaction has ${transaction.operations.length} operations, ${declared.length} declared`,
    );
  }
  transaction.operations.forEach((operation, index) => {
    const mismatch = operationMismatch(operation, declared[index]!);
    if (mismatch) throw new SignerRefusal('UNDECLARED_OPERATION', `operation ${index} ${mismatch}`);
  });
}

/** The envelope's memo in the declaration's terms, or undefined for MEMO_NONE. */
function memoOf(memo: Memo): DeclaredStellarMemo | undefined {
  const value = memo.value;
  switch (memo.type) {
    case 'text':
      // Decoded text memos are raw bytes (not necessarily UTF-8); compare bytes, not characters.
      return { type: 'text', value: Buffer.from(value as Buffer | string).toString('hex') };
    case 'id':
      return { type: 'id', value: String(value) };
    case 'hash':
    case 'return':
      return { type: memo.type, value: Buffer.from(value as Buffer).toString('hex') };
    default:
      return undefined;
  }
}

function describeMemo(memo: DeclaredStellarMemo | undefined): string {
  return memo ? `a ${memo.type} memo` : 'no memo';
}

/**
 * Refuses unless the envelope's memo is exactly the declared one: same type, and the same bytes
 * (text as UTF-8, hash and return as 32 bytes) or the same number (id). No declared memo means the
 * envelope must have none: a memo routes money at exchanges and pooled accounts.
 */
export function checkStellarMemo(transaction: Transaction, declared: DeclaredStellarMemo | undefined): void {
  const actual = memoOf(transaction.memo);
  let same: boolean;
  if (!actual || !declared) same = !actual && !declared;
  else if (actual.type !== declared.type) same = false;
  else if (declared.type === 'text')
    same = actual.value === Buffer.from(declared.value, 'utf8').toString('hex');
  else if (declared.type === 'id') same = BigInt(actual.value) === BigInt(declared.value);
  else same = actual.value === declared.value.toLowerCase();
  if (same) return;
  const what = actual?.type === declared?.type ? `a different ${actual?.type} memo` : describeMemo(actual);
  throw new SignerRefusal(
    'UNDECLARED_OPERATION',
    `the transaction has ${what}, declared ${describeMemo(declared)}`,
  );
}

/**
 * Refuses an envelope that could stay valid longer than `maxValiditySeconds` from `nowMs`: one
 * without time bounds or with `maxTime` 0 (valid forever), or one whose `maxTime` is further ahead.
 * A bounded envelope lets a caller know when an unseen submission can no longer land.
 */
export function checkStellarValidity(
  transaction: Transaction,
  options: { nowMs: number; maxValiditySeconds: number },
): void {
  const maxTime = BigInt(transaction.timeBounds?.maxTime ?? '0');
  if (maxTime === 0n) {
    throw new SignerRefusal('INVALID_TIME_BOUNDS', 'the transaction has no maxTime, so it never expires');
  }
  const latest = BigInt(Math.floor(options.nowMs / 1000) + options.maxValiditySeconds);
  if (maxTime > latest) {
    throw new SignerRefusal(
      'INVALID_TIME_BOUNDS',
      `the transaction is valid until ${maxTime}, more than ${options.maxValiditySeconds} s from now`,
    );
  }
}

/** A decoded, unsigned EIP-1559 transaction and its hash. */
export interface DecodedEvm {
  transaction: EvmTransaction;
  unsignedHash: string;
}

/** Builds the type-2 transaction for the configured chain; any other chain id (in the request or the transaction) is refused. */
export function decodeEvm(request: SignEvmRequest, chainId: number): DecodedEvm {
  if (request.chainId !== chainId || request.transaction.chainId !== chainId) {
    throw new SignerRefusal('WRONG_NETWORK', `the transaction is not for chain ${chainId}`);
  }
  const unsigned = request.transaction;
  let transaction: EvmTransaction;
  try {
    transaction = EvmTransaction.from({
      type: 2,
      chainId: BigInt(unsigned.chainId),
      nonce: unsigned.nonce,
      gasLimit: BigInt(unsigned.gasLimit),
      maxFeePerGas: BigInt(unsigned.maxFeePerGas),
      maxPriorityFeePerGas: BigInt(unsigned.maxPriorityFeePerGas),
      to: unsigned.to,
      value: BigInt(unsigned.value),
      data: unsigned.data,
    });
  } catch {
    throw new SignerRefusal('INVALID_REQUEST', 'the EVM transaction cannot be encoded');
  }
  return { transaction, unsignedHash: transaction.unsignedHash };
}

/** Selector of ERC-20 `transfer(address,uint256)`. */
export const ERC20_TRANSFER_SELECTOR = '0xa9059cbb';

/** The call data of `transfer(to, amount)`, lower case: selector, then both arguments as 32-byte words. */
export function erc20TransferData(to: string, amount: bigint): string {
  return (
    ERC20_TRANSFER_SELECTOR +
    to.slice(2).toLowerCase().padStart(64, '0') +
    amount.toString(16).padStart(64, '0')
  );
}

function sameAddress(a: string | null, b: string): boolean {
  return a !== null && a.toLowerCase() === b.toLowerCase();
}

/** Why `data` is not exactly `transfer(to, amount)`, in words the audit log can show. */
function transferDataMismatch(data: string, to: string, amount: bigint): string {
  const hex = data.toLowerCase();
  if (!hex.startsWith(ERC20_TRANSFER_SELECTOR)) return `calls selector ${hex.slice(0, 10)}, not transfer`;
  if (hex.length !== erc20TransferData(to, amount).length)
    return `has ${(hex.length - 2) / 2} bytes of call data, a transfer has 68`;
  const recipientWord = hex.slice(10, 74);
  if (!recipientWord.startsWith('0'.repeat(24)) || !sameAddress(`0x${recipientWord.slice(24)}`, to))
    return `transfers to 0x${recipientWord.slice(24)}, declared ${to}`;
  return `transfers ${BigInt(`0x${hex.slice(74)}`)} token units, declared ${amount}`;
}

/**
 * Refuses unless the transaction is exactly the declared transfer. Native: to the declared address,
 * the declared value, no call data. ERC-20: to the token contract, value 0, data exactly
 * `transfer(to, amount)` (any other call, extra bytes or a non-canonical encoding is refused).
 * Addresses are compared without regard to checksum case.
 */
export function checkEvmIntent(transaction: EvmTransaction, declared: DeclaredEvmTransfer): void {
  const refuse = (reason: string) => {
    throw new SignerRefusal('UNDECLARED_OPERATION', reason);
  };
  if (declared.kind === 'native') {
    if (!sameAddress(transaction.to, declared.to))
      refuse(`the transaction goes to ${transaction.to}, declared ${declared.to}`);
    if (transaction.value !== BigInt(declared.value))
      refuse(`the transaction moves ${transaction.value} wei, declared ${declared.value}`);
    if (transaction.data !== '0x') refuse('the transaction carries call data; a native transfer has none');
    return;
  }
  if (!sameAddress(transaction.to, declared.token))
    refuse(`the transaction calls ${transaction.to}, declared token ${declared.token}`);
  if (transaction.value !== 0n)
    refuse(`the transaction moves ${transaction.value} wei besides the token transfer`);
  const amount = BigInt(declared.amount);
  if (transaction.data.toLowerCase() !== erc20TransferData(declared.to, amount))
    refuse(`the transaction ${transferDataMismatch(transaction.data, declared.to, amount)}`);
}
