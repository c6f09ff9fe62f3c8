/**
 * Settling a signed Stellar envelope that was stored before submission, shared by every
 * money-moving Stellar effect (payments, account activation). The envelope is looked up by hash
 * and resubmitted as is until it has landed or provably cannot land, and only then discarded so a
 * fresh one may be built. "Provably" means the hash is absent from Horizon and either the envelope's
 * maxTime has passed (with a grace for Horizon's ingestion lag and clock skew), or the source's
 * sequence number has moved past the envelope's, consumed by something else.
 *
 * Surge pricing refuses an envelope whose fee is below what the load asks (`tx_insufficient_fee`).
 * That is not a failure of the effect: the envelope was not accepted, and it is kept and resubmitted
 * while it can still land, so the surge may pass. Building a better-paying one at once would leave
 * two envelopes that can both land; only the sequence number would stop the second, and only if the
 * first went in first. Once it provably cannot land, the fresh one gets a fresh fee.
 */
import { xdr } from '@stellar/stellar-sdk';
import { AppError } from '../../errors.ts';
import type { StellarNetwork } from '../../ports.ts';
import { isNotAcceptedYet } from './failures.ts';
import type { IntentProgress } from './ports.ts';

/**
 * Seconds past an envelope's maxTime before its absence counts as proof: Horizon answers from the
 * ledgers it has ingested, which trail the network by a few seconds, and clocks differ.
 */
export const EXPIRY_GRACE_SECONDS = 30;

/** A signed envelope as the intent stores it. */
export interface StoredStellarEnvelope {
  key: string;
  sourceAddress: string;
  envelope: string;
  txHash: string;
}

/** How a stored envelope ended, as far as this run could tell. */
export type StellarSettlement =
  /** In a ledger and successful (`ledger` is null when only the effect proves it). */
  | { kind: 'landed'; ledger: number | null }
  /** Refused for good or failed inside a ledger; Horizon's result codes. */
  | { kind: 'failed'; codes: string[] }
  /** Provably never lands; the intent no longer holds it. */
  | { kind: 'discarded' };

/** What {@link settleStellarEnvelope} needs. */
export interface StellarSettlementDeps {
  stellar: StellarNetwork;
  intents: Pick<IntentProgress, 'markSubmitted' | 'discardEnvelope'>;
  /** Clock in milliseconds (default `Date.now`). */
  now?: () => number;
}

/** Options of {@link settleStellarEnvelope}. */
export interface SettleOptions {
  /** Result codes meaning the effect is already in place (activation: `op_already_exists`). */
  landedCodes?: readonly string[];
  /** Called right before the envelope is (re)submitted, after the intent is marked SUBMITTED. */
  beforeSubmit?: () => Promise<void>;
  /** The envelope was stored by this very run and never left it: no need to look it up first. */
  fresh?: boolean;
}

/**
 * The network refused the envelope as stale, late or underpriced (surge pricing), but neither its
 * expiry nor a consumed sequence proves yet that it can never land. Retry later: the same bytes
 * are resubmitted.
 */
export class StellarEnvelopeUndecidedError extends AppError {
  readonly retryable = true;

  constructor(intentKey: string, txHash: string, codes: readonly string[]) {
    super(
      'STELLAR_ENVELOPE_UNDECIDED',
      `envelope ${txHash} of ${intentKey} was refused (${codes.join(', ')}) but may still land`,
      { intentKey, txHash, codes },
    );
  }
}

/** Sequence number and maxTime (unix seconds, `null` when unbounded) of an envelope, read from its XDR. */
export function envelopeFacts(envelopeXdr: string): { sequence: bigint; maxTime: number | null } {
  // The key service never signs fee bumps, so an envelope here is a plain (v0 or v1) transaction.
  const envelope = xdr.TransactionEnvelope.fromXDR(envelopeXdr, 'base64');
  let timeBounds: xdr.TimeBounds | null | undefined;
  let sequence: bigint;
  if (envelope.switch() === xdr.EnvelopeType.envelopeTypeTxV0()) {
    const tx = envelope.v0().tx();
    sequence = BigInt(tx.seqNum().toString());
    timeBounds = tx.timeBounds();
  } else {
    const tx = envelope.v1().tx();
    sequence = BigInt(tx.seqNum().toString());
    const cond = tx.cond();
    if (cond.switch() === xdr.PreconditionType.precondTime()) timeBounds = cond.timeBounds();
    else if (cond.switch() === xdr.PreconditionType.precondV2()) timeBounds = cond.v2().timeBounds();
  }
  const maxTime = timeBounds ? Number(timeBounds.maxTime().toString()) : 0;
  return { sequence, maxTime: maxTime === 0 ? null : maxTime };
}

function resultCodesOf(error: unknown): string[] | undefined {
  if (!(error instanceof AppError) || error.code !== 'STELLAR_TX_FAILED') return undefined;
  const { transactionCode, operationCodes } = error.fields as {
    transactionCode?: string;
    operationCodes?: string[];
  };
  return [transactionCode ?? '', ...(operationCodes ?? [])];
}

type Fate = StellarSettlement | { kind: 'dead' } | { kind: 'undecided' };

/**
 * Where an envelope the network just refused as stale, late or underpriced stands. The account is read BEFORE
 * the hash is looked up: Horizon ingests account state and transactions ledger by ledger, so a
 * sequence already consumed at that read would show our hash on the later lookup, had we consumed it.
 */
async function fateOf(stored: StoredStellarEnvelope, deps: StellarSettlementDeps): Promise<Fate> {
  const { sequence, maxTime } = envelopeFacts(stored.envelope);
  const nowSeconds = Math.floor((deps.now ?? Date.now)() / 1000);
  const expired = maxTime !== null && nowSeconds > maxTime + EXPIRY_GRACE_SECONDS;
  const consumed = !expired && BigInt(await deps.stellar.getSequence(stored.sourceAddress)) >= sequence;
  const seen = await deps.stellar.findTransaction(stored.txHash);
  if (seen)
    return seen.successful
      ? { kind: 'landed', ledger: seen.ledger }
      : { kind: 'failed', codes: ['tx_failed'] };
  return expired || consumed ? { kind: 'dead' } : { kind: 'undecided' };
}

/**
 * Settles a stored envelope: landed (found by hash, or accepted on resubmission), failed for good
 * (result codes), or discarded because it provably cannot land. An unknown outcome (timeout, 504,
 * Horizon down) propagates, and so does {@link StellarEnvelopeUndecidedError}: the caller retries
 * later with the same bytes. Run it under the source account's lock.
 */
export async function settleStellarEnvelope(
  stored: StoredStellarEnvelope,
  deps: StellarSettlementDeps,
  options: SettleOptions = {},
): Promise<StellarSettlement> {
  const seen = options.fresh ? null : await deps.stellar.findTransaction(stored.txHash);
  if (seen?.successful) return { kind: 'landed', ledger: seen.ledger };
  // A transaction that failed inside a ledger is resubmitted too: Horizon answers with its stored
  // result, which carries the operation codes the lookup does not.
  await deps.intents.markSubmitted(stored.key);
  await options.beforeSubmit?.();
  try {
    const { ledger } = await deps.stellar.submit(stored.envelope);
    return { kind: 'landed', ledger };
  } catch (error) {
    const codes = resultCodesOf(error);
    if (!codes) throw error;
    if (options.landedCodes?.some((code) => codes.includes(code))) return { kind: 'landed', ledger: null };
    if (!isNotAcceptedYet(codes)) return { kind: 'failed', codes };
    const fate = await fateOf(stored, deps);
    if (fate.kind === 'dead') {
      await deps.intents.discardEnvelope(stored.key);
      return { kind: 'discarded' };
    }
    if (fate.kind === 'undecided') throw new StellarEnvelopeUndecidedError(stored.key, stored.txHash, codes);
    return fate;
  }
}
