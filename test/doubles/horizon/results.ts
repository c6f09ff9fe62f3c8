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
const TX_STRINGS: Record<TxCode, string> = {
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
};

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
