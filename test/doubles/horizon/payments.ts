/**
 * Payment-type operations as Horizon's `/payments` endpoints list them, and the index the double
 * answers those endpoints from. Records are identified by their TOID (total order id): ledger
 * sequence << 32 | application order of the transaction in its ledger << 12 | operation index, both
 * 1-based, exactly as Horizon numbers operations; the paging token is that id as a decimal string.
 */
import { MuxedAccount, type Operation, type Transaction } from '@stellar/stellar-sdk';
import { parseStellarAmount } from '../../../core/domain/amounts.ts';
import type { TransactionEntry } from './ledger.ts';

/** The id of a transaction (operation index 0) or of one of its operations (1-based index). */
export function toid(ledger: number, applicationOrder: number, operationIndex = 0): bigint {
  return (BigInt(ledger) << 32n) | (BigInt(applicationOrder) << 12n) | BigInt(operationIndex);
}

/** Horizon's `cursor=now`: past every id of `ledger` (`toid.AfterLedger`). */
export function afterLedger(ledger: number): bigint {
  return (BigInt(ledger) << 32n) | 0xffffffffn;
}

/** An asset as Horizon names it in records. */
export type AssetRef =
  { type: 'native' } | { type: 'credit_alphanum4' | 'credit_alphanum12'; code: string; issuer: string };

interface RecordBase {
  /** The TOID as a decimal string; also the paging token. */
  id: string;
  ledger: number;
  transactionHash: string;
  transactionSuccessful: boolean;
  /** 1-based position of the operation in its transaction. */
  operationIndex: number;
  /** The operation's source (the transaction's unless the operation has its own), a G... address. */
  sourceAccount: string;
  /** Set only when the source was a muxed M... address. */
  sourceAccountMuxed?: string;
  sourceAccountMuxedId?: string;
}

/** A `create_account` operation. */
export interface CreateAccountRecord extends RecordBase {
  type: 'create_account';
  funder: string;
  funderMuxed?: string;
  funderMuxedId?: string;
  account: string;
  /** Stroops. */
  startingBalance: bigint;
}

/** A `payment` operation. A muxed destination is credited to its base account, `to`. */
export interface PaymentOperationRecord extends RecordBase {
  type: 'payment';
  from: string;
  fromMuxed?: string;
  fromMuxedId?: string;
  to: string;
  toMuxed?: string;
  toMuxedId?: string;
  asset: AssetRef;
  /** Stroops. */
  amount: bigint;
}

/** A record of the `/payments` endpoints (the double applies no path payments or merges). */
export type PaymentRecord = CreateAccountRecord | PaymentOperationRecord;

/** A record with what the index and the renderer need; `json` caches the rendering without join. */
export interface IndexedPayment {
  id: bigint;
  record: PaymentRecord;
  /** Its transaction (close time, and the record embedded by `join=transactions`). */
  transaction: TransactionEntry;
  /** Accounts that can find the record under `/accounts/:id/payments`. */
  participants: string[];
  json?: string;
}

/** G address, and the muxed address and id when `address` is an M... address. */
function splitMuxed(address: string): { account: string; muxed?: string; muxedId?: string } {
  if (!address.startsWith('M')) return { account: address };
  const muxed = MuxedAccount.fromAddress(address, '0');
  return { account: muxed.baseAccount().accountId(), muxed: address, muxedId: muxed.id() };
}

/**
 * The payment records of the operations of `tx`, included as `entry`. Operations of other types get
 * no record but keep their index.
 */
export function paymentRecordsOf(tx: Transaction, entry: TransactionEntry): IndexedPayment[] {
  const { hash, ledger, applicationOrder, successful } = entry;
  const records: IndexedPayment[] = [];
  tx.operations.forEach((op: Operation, index) => {
    const operationIndex = index + 1;
    const id = toid(ledger, applicationOrder, operationIndex);
    const source = splitMuxed(op.source ?? tx.source);
    const base: RecordBase = {
      id: id.toString(),
      ledger,
      transactionHash: hash,
      transactionSuccessful: successful,
      operationIndex,
      sourceAccount: source.account,
      ...(source.muxed ? { sourceAccountMuxed: source.muxed, sourceAccountMuxedId: source.muxedId } : {}),
    };
    if (op.type === 'createAccount') {
      records.push({
        id,
        transaction: entry,
        participants: unique([source.account, op.destination]),
        record: {
          ...base,
          type: 'create_account',
          funder: source.account,
          ...(source.muxed ? { funderMuxed: source.muxed, funderMuxedId: source.muxedId } : {}),
          account: op.destination,
          startingBalance: parseStellarAmount(op.startingBalance),
        },
      });
    } else if (op.type === 'payment') {
      const destination = splitMuxed(op.destination);
      records.push({
        id,
        transaction: entry,
        participants: unique([source.account, destination.account]),
        record: {
          ...base,
          type: 'payment',
          from: source.account,
          ...(source.muxed ? { fromMuxed: source.muxed, fromMuxedId: source.muxedId } : {}),
          to: destination.account,
          ...(destination.muxed ? { toMuxed: destination.muxed, toMuxedId: destination.muxedId } : {}),
          asset: op.asset.isNative()
            ? { type: 'native' }
            : {
                type: op.asset.getCode().length <= 4 ? 'credit_alphanum4' : 'credit_alphanum12',
                code: op.asset.getCode(),
                issuer: op.asset.getIssuer(),
              },
          amount: parseStellarAmount(op.amount),
        },
      });
    }
  });
  return records;
}

function unique(accounts: string[]): string[] {
  return [...new Set(accounts)];
}

/** Which records a query looks at. */
export type PaymentScope =
  | { kind: 'all' }
  | { kind: 'account'; account: string }
  | { kind: 'ledger'; ledger: number }
  | { kind: 'transaction'; hash: string };

/** Where a page starts and how far it goes. */
export interface PaymentWindow {
  /** Records strictly after this id (asc) or strictly before it (desc). */
  cursor: bigint;
  order: 'asc' | 'desc';
  limit: number;
  includeFailed: boolean;
}

/**
 * Every payment record of the closed ledgers, in id order, with one list per participant and per
 * transaction so that pages and streams find their start by binary search.
 */
export class PaymentIndex {
  private readonly all: IndexedPayment[] = [];
  private readonly byAccount = new Map<string, IndexedPayment[]>();
  private readonly byTransaction = new Map<string, IndexedPayment[]>();

  /** Appends the records of a closed ledger; ids must be higher than every id already held. */
  add(records: IndexedPayment[]): void {
    for (const entry of records) {
      this.all.push(entry);
      for (const account of entry.participants) {
        let list = this.byAccount.get(account);
        if (!list) this.byAccount.set(account, (list = []));
        list.push(entry);
      }
      let list = this.byTransaction.get(entry.record.transactionHash);
      if (!list) this.byTransaction.set(entry.record.transactionHash, (list = []));
      list.push(entry);
    }
  }

  /** Whether an account took part in any recorded payment. */
  knows(account: string): boolean {
    return this.byAccount.has(account);
  }

  /** Every record, oldest first. */
  records(): readonly IndexedPayment[] {
    return this.all;
  }

  /** One page of `scope`, in `window.order`. */
  page(scope: PaymentScope, window: PaymentWindow): IndexedPayment[] {
    const list = this.listOf(scope);
    const result: IndexedPayment[] = [];
    if (window.order === 'asc') {
      for (let i = firstAbove(list, window.cursor); i < list.length && result.length < window.limit; i++) {
        if (window.includeFailed || list[i]!.record.transactionSuccessful) result.push(list[i]!);
      }
    } else {
      for (let i = firstAbove(list, window.cursor - 1n) - 1; i >= 0 && result.length < window.limit; i--) {
        if (window.includeFailed || list[i]!.record.transactionSuccessful) result.push(list[i]!);
      }
    }
    return result;
  }

  private listOf(scope: PaymentScope): readonly IndexedPayment[] {
    switch (scope.kind) {
      case 'all':
        return this.all;
      case 'account':
        return this.byAccount.get(scope.account) ?? [];
      case 'transaction':
        return this.byTransaction.get(scope.hash) ?? [];
      case 'ledger': {
        const from = firstAbove(this.all, toid(scope.ledger, 0));
        const to = firstAbove(this.all, toid(scope.ledger + 1, 0) - 1n);
        return this.all.slice(from, to);
      }
    }
  }
}

/** Index of the first entry whose id is greater than `id` (the list is sorted by id). */
function firstAbove(list: readonly IndexedPayment[], id: bigint): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (list[middle]!.id <= id) low = middle + 1;
    else high = middle;
  }
  return low;
}
