import pg from 'pg';

/** Claims Telegram update ids, so an update delivered twice is handled once. */
export interface UpdateLog {
  /** True for the first claim of `updateId`, false for every later one. */
  claim(updateId: number): Promise<boolean>;
  /** Forgets ids older than `olderThan`; Telegram never redelivers after 24 hours. */
  prune(olderThan: Date): Promise<number>;
  close(): Promise<void>;
}

interface PendingClaim {
  updateId: string;
  resolve: (won: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Update ids claimed in Postgres, on every update's hot path, so it is built for speed:
 *
 * - Claims that arrive while an insert is in flight ride together in the next one (`INSERT …
 *   SELECT unnest(…) … RETURNING`): nothing waits when the bot is idle, and under load one round
 *   trip serves many updates. Each id still wins exactly once.
 * - Its own small `pg` pool with `synchronous_commit=off` for these connections only: a claim
 *   commits without waiting for the WAL flush. A database crash can forget the last few
 *   milliseconds of claims, so a redelivered update could run again; that is acceptable because
 *   every money-moving effect is idempotent on its own durable intent key, never on this log.
 */
export function createUpdateLog(
  databaseUrl: string,
  options: { maxBatch?: number; poolSize?: number } = {},
): UpdateLog {
  const maxBatch = options.maxBatch ?? 500;
  const poolSize = options.poolSize ?? 2;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    options: '-c synchronous_commit=off',
  });
  let queued: PendingClaim[] = [];
  let inFlight = 0;

  // One batch per pooled connection may be in flight; the rest wait for the next free one.
  const flush = async (): Promise<void> => {
    if (inFlight >= poolSize || queued.length === 0) return;
    inFlight++;
    const batch = queued.slice(0, maxBatch);
    queued = queued.slice(batch.length);
    try {
      const { rows } = await pool.query<{ update_id: string }>(
        'INSERT INTO processed_updates (update_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING RETURNING update_id',
        [batch.map((claim) => claim.updateId)],
      );
      const winners = new Set(rows.map((row) => row.update_id));
      // An id claimed twice in one batch is inserted once; only its first claimant wins.
      for (const claim of batch) claim.resolve(winners.delete(claim.updateId));
    } catch (error) {
      for (const claim of batch) claim.reject(error);
    } finally {
      inFlight--;
      void flush();
    }
  };

  return {
    claim(updateId) {
      return new Promise<boolean>((resolve, reject) => {
        queued.push({ updateId: String(updateId), resolve, reject });
        void flush();
      });
    },
    async prune(olderThan) {
      const { rowCount } = await pool.query('DELETE FROM processed_updates WHERE received_at < $1', [
        olderThan,
      ]);
      return rowCount ?? 0;
    },
    close: () => pool.end(),
  };
}
