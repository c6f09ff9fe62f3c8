/**
 * Builds unsigned Stellar payment transactions: one `payment` operation (native or credit asset)
 * to a `G…` account or a muxed `M…` address, an optional text or id memo, and time bounds whose
 * maxTime makes every envelope provably dead once it has passed. The key service signs.
 */
import { Account, Asset, Memo, Operation, StrKey, TransactionBuilder } from '@stellar/stellar-sdk';
import { formatStroopsFixed, MAX_STROOPS } from '../domain/amounts.ts';
import { PermanentError } from '../errors.ts';
import type { PaymentMemo } from '../ports.ts';
import type { StellarPaymentFactory, UnsignedStellarPayment } from '../services/payment-execution/ports.ts';

/** A payment cannot be built as asked (bad address, amount, memo, asset, fee or timeout). */
export class StellarPaymentInvalidError extends PermanentError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super('STELLAR_PAYMENT_INVALID', `${field} ${problem}`, { field });
  }
}

/** Input of {@link buildStellarPayment}: the factory's input plus network and clock. */
export type StellarPaymentInput = Parameters<StellarPaymentFactory['payment']>[0] & {
  passphrase: string;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
};

const TEXT_MEMO_BYTES = 28;
const UINT64_MAX = 2n ** 64n - 1n;

function memoOf(memo: PaymentMemo | null): Memo {
  if (!memo) return Memo.none();
  if (memo.type === 'text') {
    if (Buffer.byteLength(memo.value, 'utf8') > TEXT_MEMO_BYTES)
      throw new StellarPaymentInvalidError('memo', `is longer than ${TEXT_MEMO_BYTES} bytes`);
    return Memo.text(memo.value);
  }
  if (!/^\d{1,20}$/.test(memo.value) || BigInt(memo.value) > UINT64_MAX)
    throw new StellarPaymentInvalidError('memo', 'is not an unsigned 64-bit id');
  return Memo.id(memo.value);
}

function assetOf(asset: { code: string; issuer: string | null }): Asset {
  if (asset.issuer === null) return Asset.native();
  if (!StrKey.isValidEd25519PublicKey(asset.issuer))
    throw new StellarPaymentInvalidError('asset issuer', 'is not a Stellar account');
  if (!/^[A-Za-z0-9]{1,12}$/.test(asset.code))
    throw new StellarPaymentInvalidError('asset code', 'must be 1-12 letters or digits');
  return new Asset(asset.code, asset.issuer);
}

/** Builds the unsigned payment; its sequence is `input.sequence + 1`, its maxTime now + timeout. */
export function buildStellarPayment(input: StellarPaymentInput): UnsignedStellarPayment {
  if (!StrKey.isValidEd25519PublicKey(input.sourceAddress))
    throw new StellarPaymentInvalidError('source', 'is not a Stellar account');
  if (
    !StrKey.isValidEd25519PublicKey(input.destination) &&
    !StrKey.isValidMed25519PublicKey(input.destination)
  )
    throw new StellarPaymentInvalidError('destination', 'is not a G… or M… address');
  if (input.amount <= 0n || input.amount > MAX_STROOPS)
    throw new StellarPaymentInvalidError('amount', 'must be between 1 stroop and the int64 maximum');
  if (!Number.isInteger(input.baseFee) || input.baseFee <= 0)
    throw new StellarPaymentInvalidError('baseFee', 'must be a positive integer of stroops');
  if (!Number.isInteger(input.timeoutSeconds) || input.timeoutSeconds <= 0)
    throw new StellarPaymentInvalidError('timeoutSeconds', 'must be a positive integer');

  const maxTime = Math.floor((input.now ?? Date.now)() / 1000) + input.timeoutSeconds;
  const transaction = new TransactionBuilder(new Account(input.sourceAddress, input.sequence), {
    fee: String(input.baseFee),
    networkPassphrase: input.passphrase,
    timebounds: { minTime: 0, maxTime },
    memo: memoOf(input.memo),
  })
    .addOperation(
      Operation.payment({
        destination: input.destination,
        asset: assetOf(input.asset),
        amount: formatStroopsFixed(input.amount),
      }),
    )
    .build();
  return { xdr: transaction.toXDR(), hash: transaction.hash().toString('hex'), maxTime };
}

/** The {@link StellarPaymentFactory} port for one network. */
export function createStellarPaymentFactory(passphrase: string, clock?: () => number): StellarPaymentFactory {
  return { payment: (input) => buildStellarPayment({ ...input, passphrase, now: clock }) };
}
