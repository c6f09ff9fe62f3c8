/**
 * Per-key daily limits, decided where they can be decided safely: in the one database transaction
 * that also claims the request id and appends the audit row (`signer.spends`, `signer.audit`,
 * `signer.request_nonces`). The key's row in `signer.keys` is locked first, so two signatures for
 * the same key are judged one after the other and cannot both slip under the limit; different keys
 * do not wait for each other. Either the spend, the claim and the "signed" row all commit, or none
 * does and the request is refused.
 *
 * A spend is keyed by (key, transaction hash, asset): signing the same transaction again (a retry
 * re-signs identical bytes) finds it already counted and neither counts it twice nor refuses it.
 * Days are UTC days on the database's clock, the one clock every signer instance shares.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { baseToDecimal } from '../core/signer-protocol/daily-limits.ts';
import type { AuditEntry, AuditLog } from './audit.ts';
import { AuditUnavailableError, SignerRefusal } from './errors.ts';
import type { LimitedSpend } from './policy.ts';

/** A key would move more of an asset today than its daily limit allows. */
export class DailyLimitExceededError extends SignerRefusal {
  constructor(
    readonly asset: string,
    spend: LimitedSpend,
    spentBase: bigint,
  ) {
    const show = (amount: bigint) => baseToDecimal(amount, spend.decimals);
    super(
      'DAILY_LIMIT_EXCEEDED',
      `daily limit of ${show(spend.limitBase)} ${asset} for this key reached: ` +
        `${show(spentBase)} spent today (UTC), ${show(spend.amountBase)} more asked`,
    );
  }
}

/** The limited spends of one signed transaction. */
export interface SpendRecord {
  keyId: string;
  /** Hex hash of the transaction as it lands on chain (Stellar transaction hash, EVM signed-transaction hash). */
  txHash: string;
  spends: readonly LimitedSpend[];
}

const LOCK_KEY = 'SELECT 1 FROM signer.keys WHERE id = $1 FOR UPDATE';

const TODAY = "(now() AT TIME ZONE 'UTC')::date";

/** Per asset: what the key spent today in other transactions, and whether this one is already counted (on any day). */
const SPENT = `
SELECT asset,
       coalesce(sum(amount_base) FILTER (WHERE day = ${TODAY} AND tx_hash <> $2), 0)::text AS spent,
       coalesce(bool_or(tx_hash = $2), false) AS counted
FROM signer.spends
WHERE key_id = $1 AND asset = ANY($3::text[]) AND (day = ${TODAY} OR tx_hash = $2)
GROUP BY asset`;

const RECORD_SPENDS = `
INSERT INTO signer.spends (key_id, tx_hash, asset, amount_base, day)
SELECT $1, $2, asset, amount, ${TODAY} FROM unnest($3::text[], $4::numeric[]) AS t(asset, amount)
ON CONFLICT (key_id, tx_hash, asset) DO NOTHING`;

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
      const { rows } = await client.query<{ asset: string; spent: string; counted: boolean }>({
        name: 'signer-spent-today',
        text: SPENT,
        values: [record.keyId, record.txHash, assets],
      });
      const today = new Map(rows.map((row) => [row.asset, row]));
      const fresh = record.spends.filter((spend) => !today.get(spend.asset)?.counted);
      for (const spend of fresh) {
        const spent = BigInt(today.get(spend.asset)?.spent ?? '0');
        if (spent + spend.amountBase > spend.limitBase) {
          await client.query('ROLLBACK');
          throw new DailyLimitExceededError(spend.asset, spend, spent);
        }
      }
      if (fresh.length > 0) {
        await client.query({
          name: 'signer-record-spends',
          text: RECORD_SPENDS,
          values: [
            record.keyId,
            record.txHash,
            fresh.map((spend) => spend.asset),
            fresh.map((spend) => spend.amountBase.toString()),
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
