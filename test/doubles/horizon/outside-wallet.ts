/**
 * What a wallet outside the platform does, for tests that need payments to happen to or around it:
 * build a transaction with the SDK at the account's next sequence number, sign it with the test's
 * own keypair and submit it to the ledger model, which checks it like any other envelope and closes
 * a ledger at once.
 */
import {
  Account,
  Asset,
  Memo,
  Operation,
  TransactionBuilder,
  type Keypair,
  type xdr,
} from '@stellar/stellar-sdk';
import { signTransaction } from './ed25519.ts';
import type { HorizonLedger, TransactionEntry } from './ledger.ts';
import type { ResultCodes } from './results.ts';
import { trustlineKey } from './state.ts';

/** A test helper's transaction did not succeed; `resultCodes` are what Horizon would show. */
export class HorizonDoubleSubmissionError extends Error {
  readonly code = 'HORIZON_DOUBLE_SUBMISSION_FAILED';

  constructor(
    readonly hash: string | undefined,
    readonly resultCodes: ResultCodes,
  ) {
    super(`horizon double refused the transaction: ${JSON.stringify(resultCodes)}`);
    this.name = 'HorizonDoubleSubmissionError';
  }
}

/** A payment from a keypair the test holds. */
export interface PaymentOptions {
  from: Keypair;
  /** A G... address, or a muxed M... address (credited to its base account). */
  to: string;
  /** Decimal lumens or asset units, e.g. `'12.5'`. */
  amount: string;
  /** Default: lumens. */
  asset?: Asset;
  /** A text memo, or any SDK memo. */
  memo?: string | Memo;
}

/** Signs and submits `operations` from `source`; throws unless the transaction succeeded. */
export function submitSigned(
  ledger: HorizonLedger,
  source: Keypair,
  operations: xdr.Operation[],
  memo?: string | Memo,
): TransactionEntry {
  const account = ledger.account(source.publicKey());
  if (!account) throw new Error(`horizon double has no account ${source.publicKey()}`);
  const builder = new TransactionBuilder(new Account(source.publicKey(), account.sequence.toString()), {
    // Outside wallets bid what the network asks now, so test set-up works during a surge too.
    fee: (ledger.minFeePerOperation() * BigInt(operations.length)).toString(),
    networkPassphrase: ledger.passphrase,
  });
  for (const operation of operations) builder.addOperation(operation);
  if (memo !== undefined) builder.addMemo(typeof memo === 'string' ? Memo.text(memo) : memo);
  const tx = builder.setTimeout(0).build();
  signTransaction(tx, source);
  const result = ledger.submitAndClose(tx.toXDR());
  if (result.status === 'included' && result.transaction.successful) return result.transaction;
  if (result.status === 'malformed') throw new Error(`horizon double: ${result.detail}`);
  const codes = result.status === 'included' ? result.transaction.resultCodes : result.resultCodes;
  throw new HorizonDoubleSubmissionError(
    result.status === 'included' ? result.transaction.hash : result.hash,
    codes,
  );
}

/** A payment operation in its own transaction. */
export function pay(ledger: HorizonLedger, options: PaymentOptions): TransactionEntry {
  const operation = Operation.payment({
    destination: options.to,
    asset: options.asset ?? Asset.native(),
    amount: options.amount,
  });
  return submitSigned(ledger, options.from, [operation], options.memo);
}

/** Opens (or, with `limit: '0'`, removes) a trustline; the default limit is the largest there is. */
export function trust(
  ledger: HorizonLedger,
  options: { account: Keypair; asset: Asset; limit?: string },
): TransactionEntry {
  const operation = Operation.changeTrust({
    asset: options.asset,
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  });
  return submitSigned(ledger, options.account, [operation]);
}

/**
 * Issues `amount` of `code` by `issuer` to `to`: a keypair without a trustline gets one first (its
 * own signed changeTrust); an address must already trust the asset.
 */
export function issue(
  ledger: HorizonLedger,
  options: { issuer: Keypair; to: Keypair | string; code: string; amount: string; memo?: string | Memo },
): { asset: Asset; transaction: TransactionEntry } {
  const asset = new Asset(options.code, options.issuer.publicKey());
  const holder = typeof options.to === 'string' ? options.to : options.to.publicKey();
  if (typeof options.to !== 'string') {
    const trusted = ledger.account(holder)?.trustlines.has(trustlineKey(asset.getCode(), asset.getIssuer()));
    if (!trusted) trust(ledger, { account: options.to, asset });
  }
  const transaction = pay(ledger, {
    from: options.issuer,
    to: holder,
    amount: options.amount,
    asset,
    ...(options.memo === undefined ? {} : { memo: options.memo }),
  });
  return { asset, transaction };
}
