/**
 * The signer decodes every payload itself and checks it against what the caller declares: the
 * network, the source account and each operation. A caller that is wrong (or compromised) cannot
 * get a signature on something it did not say it wanted; what it may want at all is policy.ts.
 */
import {
  FeeBumpTransaction,
  TransactionBuilder,
  extractBaseAddress,
  type Asset,
  type Transaction,
} from '@stellar/stellar-sdk';
import { Transaction as EvmTransaction } from 'ethers';
import type {
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

/** Refuses unless the transaction's recipient, value and data are exactly the declared ones. */
export function checkEvmIntent(transaction: EvmTransaction, declared: SignEvmRequest['declared']): void {
  if (transaction.to?.toLowerCase() !== declared.to.toLowerCase()) {
    throw new SignerRefusal(
      'UNDECLARED_OPERATION',
      `the transaction goes to ${transaction.to}, declared ${declared.to}`,
    );
  }
  if (transaction.value !== BigInt(declared.value)) {
    throw new SignerRefusal(
      'UNDECLARED_OPERATION',
      `the transaction moves ${transaction.value} wei, declared ${declared.value}`,
    );
  }
  if (transaction.data.toLowerCase() !== declared.data.toLowerCase()) {
    throw new SignerRefusal('UNDECLARED_OPERATION', 'the transaction data differs from the declared data');
  }
}
