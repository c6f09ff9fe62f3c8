import pg from 'pg';
import { PermanentError } from '../errors.ts';

/** Claims Telegram update ids, so an update delivered twice is handled once. */
export interface UpdateLog {
  /** True for the first claim of `updateId`, false for every later one, across restarts. */
  claim(updateId: number): Promise<boolean>;
  /** Forgets ids older than `olderThan`; Telegram never redelivers after 24 hours. */
  prune(olderThan: Date): Promise<number>;
  close(): Promise<void>;
}

/** Options of {@link createUpdateLog}. */
export interface UpdateLogOptions {
  /** Most ids in one insert. */
  maxBatch?: number;
  /** Inserts in flight at once; the pool holds one more connection so `prune` never blocks claims. */
  concurrency?: number;
}

interface PendingClaim {
  updateId: number;
  resolve: (won: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Inserts the batch and answers with the ids that were already there: one row holding one short
 * text (`{}` when every claim won), whatever the batch size, so parsing the answer costs nothing.
 * Prepared once per connection (it has a name), so Postgres does not parse and plan it each time.
 */
const CLAIM_QUERY = {
  name: 'claim-update-ids',
  text: `WITH claimed AS (
  INSERT INTO processed_updates (update_id) SELECT unnest($1::bigint[])
  ON CONFLICT DO NOTHING RETURNING update_id
)
SELECT array(SELECT unnest($1::bigint[]) EXCEPT ALL SELECT update_id FROM claimed)::text`,
  rowMode: 'array',
} as const;

/**
 * Update ids claimed in Postgres, on every update's hot path, so it is built for speed:
 *
 * - Claims made in the same tick (a runner batch of updates, every update resumed by one Redis
 *   reply), and those that arrive while the inserts in flight are busy, ride together in the next
 *   `INSERT … SELECT unnest(…)`: under load one round trip serves dozens of updates (about 50 at 64
 *   updates in flight, against about 20 when each free connection took whatever was queued at
 *   once), and an idle bot adds no delay. Each id still wins exactly once (the primary key decides;
 *   within a batch, the first claimant).
 * - Its own small `pg` pool with `synchronous_commit=off` for these connections only: a claim
 *   commits without waiting for the WAL flush. A database crash can forget the last few
 *   milliseconds of claims, so a redelivered update could run again; that is acceptable because
 *   every money-moving effect is idempotent on its own durable intent key, never on this log.
 */
export function createUpdateLog(databaseUrl: string, options: UpdateLogOptions = {}): UpdateLog {
  const maxBatch = options.maxBatch ?? 1_000;
  const concurrency = options.concurrency ?? 2;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: concurrency + 1,
    options: '-c synchronous_commit=off',
  });
  // A connection that dies while idle is dropped by the pool and the next claim opens another; the
  // failure reaches whoever claims next. Without a listener it would crash the process instead.
  pool.on('error', () => undefined);

  let queued: PendingClaim[] = [];
  let inFlight = 0;
  let flushScheduled = false;

  const insert = async (batch: PendingClaim[]): Promise<void> => {
    inFlight++;
    try {
      const unclaimed = new Set<number>();
      for (const claim of batch) unclaimed.add(claim.updateId);
      const { rows } = await pool.query<[string]>({
        ...CLAIM_QUERY,
        // Safe integers only (checked in `claim`), so the array literal is built without escaping.
        values: [`{${[...unclaimed].join(',')}}`],
      });
      const taken = rows[0]![0];
      const alreadyClaimed = taken === '{}' ? undefined : new Set(taken.slice(1, -1).split(',').map(Number));
      // An id claimed twice in one batch is inserted once; only its first claimant wins.
      for (const claim of batch) {
        claim.resolve(unclaimed.delete(claim.updateId) && !alreadyClaimed?.has(claim.updateId));
      }
    } catch (error) {
      for (const claim of batch) claim.reject(error);
    } finally {
      inFlight--;
      flush();
    }
  };

  const flush = (): void => {
    flushScheduled = false;
    while (inFlight < concurrency && queued.length > 0) {
      const batch = queued.length <= maxBatch ? queued : queued.slice(0, maxBatch);
      queued = batch === queued ? [] : queued.slice(maxBatch);
      void insert(batch);
    }
  };

  return {
    claim(updateId) {
      if (!Number.isSafeInteger(updateId)) {
        return Promise.reject(
          new PermanentError('UPDATE_ID_INVALID', 'update id is not an integer', { updateId }),
        );
      }
      return new Promise<boolean>((resolve, reject) => {
        queued.push({ updateId, resolve, reject });
        if (!flushScheduled) {
          flushScheduled = true;
          process.nextTick(flush);
        }
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
