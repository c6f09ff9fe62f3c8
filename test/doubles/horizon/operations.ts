/**
 * The operations the Horizon double understands, in stellar-core's two phases: `checkValid`
 * (before a transaction may enter a ledger: malformed input) and `apply` (inside the ledger, where
 * a failure still costs the fee and the sequence number).
 */
import { Asset, MuxedAccount, type Operation } from '@stellar/stellar-sdk';
import { MAX_STROOPS, parseStellarAmount } from '../../../core/domain/amounts.ts';
import type { OpOutcome } from './results.ts';
import { newAccount, trustlineKey, type AccountEntry, type LedgerState } from './state.ts';

/** Network constants the operations need. */
export interface LedgerRules {
  baseReserve: bigint;
  /** The sequence number of the ledger being closed (new accounts start at `ledger << 32`). */
  ledgerSequence: number;
}

/** An operation with its source resolved to a G... address. */
export interface ResolvedOperation {
  source: string;
  body: Operation;
}

/** (2 + subentries) × base reserve: what an account must keep. */
export function minimumBalance(account: AccountEntry, rules: LedgerRules, extraSubentries = 0): bigint {
  return (2n + BigInt(account.subentries + extraSubentries)) * rules.baseReserve;
}

/** Native balance above the minimum balance (no offers are modelled, so no liabilities). */
export function availableBalance(account: AccountEntry, rules: LedgerRules): bigint {
  return account.balance - minimumBalance(account, rules);
}

/** The operation types the double applies; others are answered with `op_not_supported`. */
export function isSupported(op: Operation): boolean {
  return op.type === 'createAccount' || op.type === 'payment' || op.type === 'changeTrust';
}

/** stellar-core's `doCheckValid`: problems visible without the ledger. `undefined` means valid. */
export function checkMalformed(op: ResolvedOperation): OpOutcome | undefined {
  const { body, source } = op;
  switch (body.type) {
    case 'createAccount':
      if (body.destination === source || parseStellarAmount(body.startingBalance) < 0n) {
        return { kind: 'createAccount', code: 'createAccountMalformed' };
      }
      return undefined;
    case 'payment':
      if (parseStellarAmount(body.amount) <= 0n) return { kind: 'payment', code: 'paymentMalformed' };
      return undefined;
    case 'changeTrust': {
      const line = body.line;
      // Since protocol 16, trusting your own asset is malformed rather than "self not allowed".
      if (!(line instanceof Asset) || line.isNative() || line.getIssuer() === source) {
        return { kind: 'changeTrust', code: 'changeTrustMalformed' };
      }
      return undefined;
    }
    default:
      return { kind: 'outer', code: 'opNotSupported' };
  }
}

/** Applies one operation to `state`; the caller discards `state` unless every operation succeeds. */
export function applyOperation(op: ResolvedOperation, state: LedgerState, rules: LedgerRules): OpOutcome {
  const { body } = op;
  switch (body.type) {
    case 'createAccount':
      return applyCreateAccount(op.source, body, state, rules);
    case 'payment':
      return applyPayment(op.source, body, state, rules);
    case 'changeTrust':
      return applyChangeTrust(op.source, body, state, rules);
    default:
      return { kind: 'outer', code: 'opNotSupported' };
  }
}

function applyCreateAccount(
  sourceId: string,
  body: Operation.CreateAccount,
  state: LedgerState,
  rules: LedgerRules,
): OpOutcome {
  const fail = (code: 'createAccountUnderfunded' | 'createAccountLowReserve' | 'createAccountAlreadyExist') =>
    ({ kind: 'createAccount', code }) as const;
  if (state.exists(body.destination)) return fail('createAccountAlreadyExist');
  const startingBalance = parseStellarAmount(body.startingBalance);
  // A new account has no subentries, so it must start with 2 base reserves (1 XLM).
  if (startingBalance < 2n * rules.baseReserve) return fail('createAccountLowReserve');
  const source = state.load(sourceId)!;
  if (availableBalance(source, rules) < startingBalance) return fail('createAccountUnderfunded');
  source.balance -= startingBalance;
  const sequence = BigInt(rules.ledgerSequence) << 32n;
  state.create(newAccount(body.destination, startingBalance, sequence, rules.ledgerSequence));
  return { kind: 'createAccount', code: 'createAccountSuccess' };
}

function applyPayment(
  sourceId: string,
  body: Operation.Payment,
  state: LedgerState,
  rules: LedgerRules,
): OpOutcome {
  const fail = (
    code:
      | 'paymentUnderfunded'
      | 'paymentSrcNoTrust'
      | 'paymentNoDestination'
      | 'paymentNoTrust'
      | 'paymentLineFull',
  ) => ({ kind: 'payment', code }) as const;
  const amount = parseStellarAmount(body.amount);
  const destinationId = accountIdOf(body.destination);
  // stellar-core credits the destination before it debits the source, so destination problems win.
  const destination = state.load(destinationId);
  if (!destination) return fail('paymentNoDestination');
  const asset = body.asset;

  if (asset.isNative()) {
    // Paying yourself lumens is a successful no-op (protocol 3 and later).
    if (destinationId === sourceId) return { kind: 'payment', code: 'paymentSuccess' };
    if (destination.balance + amount > MAX_STROOPS) return fail('paymentLineFull');
    const source = state.load(sourceId)!;
    if (availableBalance(source, rules) < amount) return fail('paymentUnderfunded');
    destination.balance += amount;
    source.balance -= amount;
    return { kind: 'payment', code: 'paymentSuccess' };
  }

  const key = trustlineKey(asset.getCode(), asset.getIssuer());
  // The issuer needs no trustline: paying it burns the asset, and it mints what it pays out.
  if (destinationId !== asset.getIssuer()) {
    const line = destination.trustlines.get(key);
    if (!line) return fail('paymentNoTrust');
    if (line.balance + amount > line.limit) return fail('paymentLineFull');
    line.balance += amount;
    line.lastModifiedLedger = rules.ledgerSequence;
  }
  if (sourceId !== asset.getIssuer()) {
    const source = state.load(sourceId)!;
    const line = source.trustlines.get(key);
    if (!line) return fail('paymentSrcNoTrust');
    if (line.balance < amount) return fail('paymentUnderfunded');
    line.balance -= amount;
    line.lastModifiedLedger = rules.ledgerSequence;
  }
  return { kind: 'payment', code: 'paymentSuccess' };
}

function applyChangeTrust(
  sourceId: string,
  body: Operation.ChangeTrust,
  state: LedgerState,
  rules: LedgerRules,
): OpOutcome {
  const fail = (code: 'changeTrustNoIssuer' | 'changeTrustInvalidLimit' | 'changeTrustLowReserve') =>
    ({ kind: 'changeTrust', code }) as const;
  const asset = body.line as Asset;
  const limit = parseStellarAmount(body.limit);
  const source = state.load(sourceId)!;
  const key = trustlineKey(asset.getCode(), asset.getIssuer());
  const line = source.trustlines.get(key);

  if (line) {
    // A limit below what is held is refused; 0 removes the line, which must then be empty.
    if (limit < line.balance) return fail('changeTrustInvalidLimit');
    if (limit === 0n) {
      source.trustlines.delete(key);
      source.subentries -= 1;
    } else {
      line.limit = limit;
      line.lastModifiedLedger = rules.ledgerSequence;
    }
    return { kind: 'changeTrust', code: 'changeTrustSuccess' };
  }

  // Removing a line that does not exist is an invalid limit in stellar-core.
  if (limit === 0n) return fail('changeTrustInvalidLimit');
  if (!state.exists(asset.getIssuer())) return fail('changeTrustNoIssuer');
  if (source.balance < minimumBalance(source, rules, 1)) return fail('changeTrustLowReserve');
  source.trustlines.set(key, {
    code: asset.getCode(),
    issuer: asset.getIssuer(),
    balance: 0n,
    limit,
    lastModifiedLedger: rules.ledgerSequence,
  });
  source.subentries += 1;
  return { kind: 'changeTrust', code: 'changeTrustSuccess' };
}

/** The G... account behind an address, which may be a muxed M... address. */
export function accountIdOf(address: string): string {
  return address.startsWith('M') ? MuxedAccount.fromAddress(address, '0').baseAccount().accountId() : address;
}
