/**
 * Result codes of the Horizon double, kept as the XDR member names stellar-core uses, and their two
 * renderings: the `TransactionResult` XDR (which the SDK decodes on success) and the snake_case
 * strings Horizon puts in `extras.result_codes`.
 */
import { xdr } from '@stellar/stellar-sdk';

/** Transaction-level codes the double produces. */
export type TxCode =
  | 'txSuccess'
  | 'txFailed'
  | 'txTooEarly'
  | 'txTooLate'
  | 'txMissingOperation'
  | 'txBadSeq'
  | 'txBadAuth'
  | 'txInsufficientBalance'
  | 'txNoAccount'
  | 'txInsufficientFee'
  | 'txBadAuthExtra'
  | 'txNotSupported';

export type CreateAccountCode =
  | 'createAccountSuccess'
  | 'createAccountMalformed'
  | 'createAccountUnderfunded'
  | 'createAccountLowReserve'
  | 'createAccountAlreadyExist';

export type PaymentCode =
  | 'paymentSuccess'
  | 'paymentMalformed'
  | 'paymentUnderfunded'
  | 'paymentSrcNoTrust'
  | 'paymentNoDestination'
  | 'paymentNoTrust'
  | 'paymentLineFull';

export type ChangeTrustCode =
  | 'changeTrustSuccess'
  | 'changeTrustMalformed'
  | 'changeTrustNoIssuer'
  | 'changeTrustInvalidLimit'
  | 'changeTrustLowReserve';

/** The result of one operation, as stellar-core would record it. */
export type OpOutcome =
  | { kind: 'outer'; code: 'opBadAuth' | 'opNoAccount' | 'opNotSupported' }
  | { kind: 'createAccount'; code: CreateAccountCode }
  | { kind: 'payment'; code: PaymentCode }
  | { kind: 'changeTrust'; code: ChangeTrustCode };

/** Horizon's strings, from its `codes` package. */
const TX_STRINGS = {
  txSuccess: 'tx_success',
  txFailed: 'tx_failed',
  txTooEarly: 'tx_too_early',
  txTooLate: 'tx_too_late',
  txMissingOperation: 'tx_missing_operation',
  txBadSeq: 'tx_bad_seq',
  txBadAuth: 'tx_bad_auth',
  txInsufficientBalance: 'tx_insufficient_balance',
  txNoAccount: 'tx_no_source_account',
  txInsufficientFee: 'tx_insufficient_fee',
  txBadAuthExtra: 'tx_bad_auth_extra',
  txNotSupported: 'tx_not_supported',
} as const satisfies Record<TxCode, string>;

const OP_STRINGS: Record<OpOutcome['code'], string> = {
  opBadAuth: 'op_bad_auth',
  opNoAccount: 'op_no_source_account',
  opNotSupported: 'op_not_supported',
  createAccountSuccess: 'op_success',
  createAccountMalformed: 'op_malformed',
  createAccountUnderfunded: 'op_underfunded',
  createAccountLowReserve: 'op_low_reserve',
  createAccountAlreadyExist: 'op_already_exists',
  paymentSuccess: 'op_success',
  paymentMalformed: 'op_malformed',
  paymentUnderfunded: 'op_underfunded',
  paymentSrcNoTrust: 'op_src_no_trust',
  paymentNoDestination: 'op_no_destination',
  paymentNoTrust: 'op_no_trust',
  paymentLineFull: 'op_line_full',
  changeTrustSuccess: 'op_success',
  changeTrustMalformed: 'op_malformed',
  changeTrustNoIssuer: 'op_no_issuer',
  changeTrustInvalidLimit: 'op_invalid_limit',
  changeTrustLowReserve: 'op_low_reserve',
};

/**
 * A result code a test may force on the next submissions, as Horizon prints it: a transaction-level
 * code refuses the envelope before any ledger; an operation-level code lets it into a ledger as a
 * failed transaction (fee and sequence number taken) with that code on its first operation that can
 * have it.
 */
export type InjectableCode =
  | Exclude<(typeof TX_STRINGS)[TxCode], 'tx_success' | 'tx_failed'>
  | 'op_underfunded'
  | 'op_src_no_trust'
  | 'op_no_destination'
  | 'op_no_trust'
  | 'op_line_full'
  | 'op_low_reserve'
  | 'op_already_exists';

/** The transaction-level code behind a Horizon string, if it is one. */
export function txCodeOf(code: string): Exclude<TxCode, 'txSuccess' | 'txFailed'> | undefined {
  const found = (Object.keys(TX_STRINGS) as TxCode[]).find((key) => TX_STRINGS[key] === code);
  return found === 'txSuccess' || found === 'txFailed' ? undefined : found;
}

/**
 * The outcome an operation of `type` has with the Horizon string `code`, or `undefined` if that
 * operation type has no such result (a payment cannot be `op_low_reserve`).
 */
export function operationOutcomeOf(type: string, code: string): OpOutcome | undefined {
  const candidates: OpOutcome[] =
    type === 'payment'
      ? PAYMENT_FAILURES.map((failure) => ({ kind: 'payment', code: failure }))
      : type === 'createAccount'
        ? CREATE_ACCOUNT_FAILURES.map((failure) => ({ kind: 'createAccount', code: failure }))
        : [];
  return candidates.find((outcome) => OP_STRINGS[outcome.code] === code);
}

const PAYMENT_FAILURES = [
  'paymentUnderfunded',
  'paymentSrcNoTrust',
  'paymentNoDestination',
  'paymentNoTrust',
  'paymentLineFull',
] as const satisfies PaymentCode[];

const CREATE_ACCOUNT_FAILURES = [
  'createAccountUnderfunded',
  'createAccountLowReserve',
  'createAccountAlreadyExist',
] as const satisfies CreateAccountCode[];

/** What Horizon shows in `extras.result_codes`. */
export interface ResultCodes {
  transaction: string;
  operations?: string[];
}

/** Whether an operation outcome is a success. */
export function isOpSuccess(outcome: OpOutcome): boolean {
  return outcome.kind !== 'outer' && outcome.code.endsWith('Success');
}

function operationResultXdr(outcome: OpOutcome): xdr.OperationResult {
  switch (outcome.kind) {
    case 'outer':
      return xdr.OperationResult[outcome.code]();
    case 'createAccount':
      return xdr.OperationResult.opInner(
        xdr.OperationResultTr.createAccount(xdr.CreateAccountResult[outcome.code]()),
      );
    case 'payment':
      return xdr.OperationResult.opInner(xdr.OperationResultTr.payment(xdr.PaymentResult[outcome.code]()));
    case 'changeTrust':
      return xdr.OperationResult.opInner(
        xdr.OperationResultTr.changeTrust(xdr.ChangeTrustResult[outcome.code]()),
      );
  }
}

/**
 * A transaction result in both renderings. Operation results are only carried by `txSuccess` and
 * `txFailed`, as in the XDR union.
 */
export function transactionResult(
  code: TxCode,
  feeCharged: bigint,
  operations: OpOutcome[] = [],
): { resultXdr: string; resultCodes: ResultCodes } {
  const withOps = code === 'txSuccess' || code === 'txFailed';
  const result = withOps
    ? xdr.TransactionResultResult[code](operations.map(operationResultXdr))
    : xdr.TransactionResultResult[code]();
  const resultXdr = new xdr.TransactionResult({
    feeCharged: xdr.Int64.fromString(feeCharged.toString()),
    result,
    ext: new xdr.TransactionResultExt(0),
  }).toXDR('base64');
  const resultCodes: ResultCodes = { transaction: TX_STRINGS[code] };
  if (withOps) resultCodes.operations = operations.map((outcome) => OP_STRINGS[outcome.code]);
  return { resultXdr, resultCodes };
}
