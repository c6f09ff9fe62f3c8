/**
 * Per-key daily limits, decided where they can be decided safely: in the one database transaction
 * that also claims the request id and appends the audit row (`signer.spends`, `signer.audit`,
 * `signer.request_nonces`). The key's row in `signer.keys` is locked first, so two signatures for
 * the same key are judged one after the other and cannot both slip under the limit; different keys
 * do not wait for each other. Either the spend, the claim and the "signed" row all commit, or none
 * does and the request is refused.
 *
 * A spend is keyed by (key, slot, asset), where the slot is the place the transaction takes on the
 * key's account: its sequence number on Stellar, its nonce on the EVM chain. At most one transaction
 * per slot can ever land, so every transaction signed for a slot is one possible payment, not
 * another one: a retry that re-signs identical bytes, and an envelope rebuilt with a new hash after
 * the old one provably could not land, both find the slot counted. When transactions in one slot
 * move different amounts of an asset, the slot counts the largest of them (whichever lands, no more
 * than that leaves), and a request is judged by what the slot would count with it. A slot counted on
 * an earlier day stays counted; only a larger amount moves it to today, in full, since today is when
 * that larger transaction can land. Days are UTC days on the database's clock, the one clock every
 * signer instance shares.
 *
 * Spends recorded before slots have the slot `legacy:<tx hash>`: re-signing that exact transaction
 * finds it, a rebuilt one does not (it counts again, for that day only).
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { baseToDecimal } from '../core/signer-protocol/daily-limits.ts';
import type { AuditEntry, AuditLog } from './audit.ts';
import { AuditUnavailableError, SignerRefusal } from './errors.ts';
import type { LimitedSpend } from './policy.ts';

/** A key would move more of an asset today than its daily limit allows. */
export class DailyLimitExceededError extends SignerRefusal {
  /**
   * @param spentBase what counts today already, this transaction's slot included
   * @param askedBase what this transaction adds to it
   */
  constructor(
    readonly asset: string,
    spend: LimitedSpend,
    spentBase: bigint,
    askedBase: bigint = spend.amountBase,
  ) {
    const show = (amount: bigint) => baseToDecimal(amount, spend.decimals);
    super(
      'DAILY_LIMIT_EXCEEDED',
      `daily limit of ${show(spend.limitBase)} ${asset} for this key reached: ` +
        `${show(spentBase)} spent today (UTC), ${show(askedBase)} more asked`,
    );
  }
}

/** The slot of a Stellar transaction on its source account (the key's own): its sequence number. */
export function stellarSlot(sequence: string): string {
  return `stellar:${sequence}`;
}

/** The slot of an EVM transaction from the key's address on chain `chainId`: its nonce. */
export function evmSlot(chainId: number, nonce: number): string {
  return `evm:${chainId}:${nonce}`;
}

/** The limited spends of one signed transaction. */
export interface SpendRecord {
  keyId: string;
  /** The transaction's slot on the key's account ({@link stellarSlot}, {@link evmSlot}). */
  slot: string;
  /** Hex hash of the transaction as it lands on chain (Stellar transaction hash, EVM signed-transaction hash). */
  txHash: string;
  spends: readonly LimitedSpend[];
}

const LOCK_KEY = 'SELECT 1 FROM signer.keys WHERE id = $1 FOR UPDATE';

const TODAY = "(now() AT TIME ZONE 'UTC')::date";

/**
 * Per asset: what the key spent today in other slots, and what this slot already counts (on any
 * day, and today). `$2` holds the slot and its legacy name, each a primary key lookup.
 */
const SPENT = `
SELECT asset,
       coalesce(sum(amount_base) FILTER (WHERE day = ${TODAY} AND slot <> ALL($2::text[])), 0)::text AS spent,
       max(amount_base) FILTER (WHERE slot = ANY($2::text[]))::text AS counted,
       max(amount_base) FILTER (WHERE slot = ANY($2::text[]) AND day = ${TODAY})::text AS counted_today
FROM signer.spends
WHERE key_id = $1 AND asset = ANY($3::text[]) AND (day = ${TODAY} OR slot = ANY($2::text[]))
GROUP BY asset`;

/** Keeps the greatest amount per slot; the row names the transaction that amount comes from. */
const RECORD_SPENDS = `
INSERT INTO signer.spends (key_id, slot, tx_hash, asset, amount_base, day)
SELECT $1, $2, $3, asset, amount, ${TODAY} FROM unnest($4::text[], $5::numeric[]) AS t(asset, amount)
ON CONFLICT (key_id, slot, asset) DO UPDATE
SET amount_base = EXCLUDED.amount_base, tx_hash = EXCLUDED.tx_hash, day = EXCLUDED.day, at = EXCLUDED.at
WHERE signer.spends.amount_base < EXCLUDED.amount_base`;

interface SpentRow {
  asset: string;
  spent: string;
  counted: string | null;
  counted_today: string | null;
}

/** Records limited spends together with the decision that allows them. */
export class SpendLedger {
  constructor(
    private readonly pool: pg.Pool,
    private readonly audit: AuditLog,
    private readonly logger: Logger,
  ) {}

  /**
   * Judges `record` against the key's daily limits and, when it fits, records the spends, claims
   * the request id and appends `entry`, all in one transaction. Returns `replayed` when the request
   * id was used before (the replay refusal is recorded, no spend is). Throws
   * {@link DailyLimitExceededError} when a spend does not fit (nothing was written), and
   * {@link AuditUnavailableError} when the database could not decide.
   */
  async commit(entry: AuditEntry, record: SpendRecord): Promise<'recorded' | 'replayed'> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.logger.error({ err: error, requestId: entry.requestId }, 'spend ledger: no database connection');
      throw new AuditUnavailableError({ cause: error });
    }
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      // Its own statement, so the next ones see every spend committed while this one waited.
      await client.query({ name: 'signer-lock-key', text: LOCK_KEY, values: [record.keyId] });
      if ((await this.audit.commitOn(client, entry)) === 'replayed') {
        await client.query('COMMIT');
        return 'replayed';
      }
      const assets = record.spends.map((spend) => spend.asset);
      const { rows } = await client.query<SpentRow>({
        name: 'signer-spent-today',
        text: SPENT,
        values: [record.keyId, [record.slot, `legacy:${record.txHash}`], assets],
      });
      const today = new Map(rows.map((row) => [row.asset, row]));
      const larger: LimitedSpend[] = [];
      for (const spend of record.spends) {
        const row = today.get(spend.asset);
        // The slot already counts at least this much: nothing to judge or to write.
        if (row?.counted != null && spend.amountBase <= BigInt(row.counted)) continue;
        const spent = BigInt(row?.spent ?? '0');
        if (spent + spend.amountBase > spend.limitBase) {
          const countedToday = BigInt(row?.counted_today ?? '0');
          await client.query('ROLLBACK');
          throw new DailyLimitExceededError(
            spend.asset,
            spend,
            spent + countedToday,
            spend.amountBase - countedToday,
          );
        }
        larger.push(spend);
      }
      if (larger.length > 0) {
        await client.query({
          name: 'signer-record-spends',
          text: RECORD_SPENDS,
          values: [
            record.keyId,
            record.slot,
            record.txHash,
            larger.map((spend) => spend.asset),
            larger.map((spend) => spend.amountBase.toString()),
          ],
        });
      }
      await client.query('COMMIT');
      return 'recorded';
    } catch (error) {
      if (error instanceof DailyLimitExceededError) throw error;
      broken = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => undefined);
      this.logger.error(
        { err: error, requestId: entry.requestId, keyId: record.keyId },
        'spend ledger: decision not recorded',
      );
      throw new AuditUnavailableError({ cause: error });
    } finally {
      // A connection that failed mid-transaction is discarded rather than reused in an unknown state.
      client.release(broken);
    }
  }
}
