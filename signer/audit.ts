/**
 * The audit log (`signer.audit`) and the replay guard (`signer.request_nonces`). An authenticated
 * request's decision is recorded by one statement that also claims its request id, so the common
 * path costs one database round trip and a signature is released only when both rows are durable.
 * Entries hold codes, ids, addresses and digests: never key material, never the auth secret.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import { AuditUnavailableError } from './errors.ts';

/** What the signer was asked to do. */
export type AuditAction = 'create_key' | 'sign_stellar' | 'sign_evm' | 'health' | 'unknown_route';

/** What it decided. `existing`: a create for a ref that already had a key. */
export type AuditDecision = 'signed' | 'created' | 'existing' | 'refused';

/** One audit row. */
export interface AuditEntry {
  action: AuditAction;
  decision: AuditDecision;
  requestId: string;
  keyId?: string | null;
  /** For refusals: `CODE: message`. */
  reason?: string | null;
  /** What was decided on: a transaction hash (`stellar-tx:`, `evm-tx:`, `evm-unsigned-tx:`), a key ref (`ref:`), or the body's SHA-256 (`body-sha256:`). */
  digest?: string | null;
}

/**
 * Request ids are kept this long after first use. A request is usable while its timestamp is within
 * 30 s of the signer's clock, so at most 60 s after its id was claimed (timestamp up to 30 s ahead
 * at claim time); twice that leaves room for a clock that is corrected while running. Measured
 * on the database's clock at both ends, so skew between the signer and the database cancels out.
 */
export const REQUEST_ID_RETENTION_SECONDS = 120;

const REPLAY_REASON = 'REPLAYED_REQUEST: request id already used';

/**
 * Claims the request ids of a batch and appends one audit row per entry, in one statement (so one
 * transaction). An entry whose id was already claimed, or that repeats an id earlier in the batch
 * (`claims` false), is recorded as a replay refusal instead of its decision. Ids are claimed in
 * sorted order so two batches racing on the same ids cannot deadlock.
 */
const CLAIM_AND_RECORD = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::boolean[])
    WITH ORDINALITY AS t(request_id, action, key_id, decision, reason, digest, claims, ord)
), claim AS (
  INSERT INTO signer.request_nonces (request_id, seen_at)
  SELECT request_id, now() AT TIME ZONE 'UTC' FROM input WHERE claims ORDER BY request_id
  ON CONFLICT (request_id) DO NOTHING
  RETURNING request_id
), outcome AS (
  SELECT input.*, claim.request_id IS NOT NULL AS fresh
  FROM input LEFT JOIN claim ON input.claims AND claim.request_id = input.request_id
), entry AS (
  INSERT INTO signer.audit (at, action, key_id, decision, reason, request_id, digest)
  SELECT now() AT TIME ZONE 'UTC', action, key_id,
         CASE WHEN fresh THEN decision ELSE 'refused' END,
         CASE WHEN fresh THEN reason ELSE '${REPLAY_REASON}' END,
         request_id, digest
  FROM outcome ORDER BY ord
  RETURNING 1
)
SELECT ord::int, fresh, (SELECT count(*) FROM entry)::int AS written FROM outcome ORDER BY ord`;

/** Entries per statement: large enough to absorb a burst, small enough to keep one statement short. */
const MAX_BATCH = 128;
/** Statements in flight at once; the rest of the pool stays free for key lookups and health. */
const MAX_CONCURRENT_BATCHES = 4;

interface PendingCommit {
  entry: AuditEntry;
  resolve: (outcome: 'recorded' | 'replayed') => void;
  reject: (error: AuditUnavailableError) => void;
}

const RECORD = `
INSERT INTO signer.audit (at, action, key_id, decision, reason, request_id, digest)
VALUES (now() AT TIME ZONE 'UTC', $1, $2::uuid, $3, $4, $5, $6)`;

/** The signer's audit log. */
export class AuditLog {
  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {}

  readonly #queue: PendingCommit[] = [];
  #batchesInFlight = 0;

  /**
   * Claims `entry.requestId` and records the decision, atomically. Returns `replayed` when the id
   * was used before; the row then records a REPLAYED_REQUEST refusal instead of `entry`'s decision.
   * Throws {@link AuditUnavailableError} when nothing could be written (and then nothing is claimed).
   *
   * Commits are grouped: while statements are in flight, new entries queue and go together in the
   * next one (group commit). An entry resolves only once the statement holding it has committed;
   * under light load every entry goes alone, at once.
   */
  commit(entry: AuditEntry): Promise<'recorded' | 'replayed'> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#batchesInFlight < MAX_CONCURRENT_BATCHES && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      this.#batchesInFlight += 1;
      void this.#write(batch).finally(() => {
        this.#batchesInFlight -= 1;
        this.#pump();
      });
    }
  }

  async #write(batch: PendingCommit[]): Promise<void> {
    const seen = new Set<string>();
    const claims = batch.map(({ entry }) => {
      const first = !seen.has(entry.requestId);
      seen.add(entry.requestId);
      return first;
    });
    let rows: { ord: number; fresh: boolean; written: number }[];
    try {
      // Named, so each connection parses and plans it once: this runs for every signature.
      const result = await this.pool.query<{ ord: number; fresh: boolean; written: number }>({
        name: 'signer-claim-and-record',
        text: CLAIM_AND_RECORD,
        values: [
          batch.map(({ entry }) => entry.requestId),
          batch.map(({ entry }) => entry.action),
          batch.map(({ entry }) => entry.keyId ?? null),
          batch.map(({ entry }) => entry.decision),
          batch.map(({ entry }) => entry.reason ?? null),
          batch.map(({ entry }) => entry.digest ?? null),
          claims,
        ],
      });
      rows = result.rows;
      if (rows.length !== batch.length || rows[0]?.written !== batch.length) {
        throw new Error(`audit wrote ${rows[0]?.written ?? 0} of ${batch.length} rows`);
      }
    } catch (error) {
      this.logger.error(
        { err: error, requestIds: batch.map(({ entry }) => entry.requestId) },
        'audit write failed',
      );
      for (const pending of batch) pending.reject(new AuditUnavailableError({ cause: error }));
      return;
    }
    for (const row of rows) batch[row.ord - 1]!.resolve(row.fresh ? 'recorded' : 'replayed');
  }

  /**
   * Claims `entry.requestId` and records the decision on `client`, inside the transaction the caller
   * holds open there, so the decision commits (or rolls back) with the caller's other writes. Same
   * outcomes as {@link commit}; a failure propagates as is, for the caller to roll back.
   */
  async commitOn(client: pg.ClientBase, entry: AuditEntry): Promise<'recorded' | 'replayed'> {
    const { rows } = await client.query<{ fresh: boolean; written: number }>({
      name: 'signer-claim-and-record',
      text: CLAIM_AND_RECORD,
      values: [
        [entry.requestId],
        [entry.action],
        [entry.keyId ?? null],
        [entry.decision],
        [entry.reason ?? null],
        [entry.digest ?? null],
        [true],
      ],
    });
    if (rows.length !== 1 || rows[0]!.written !== 1) {
      throw new Error(`audit wrote ${rows[0]?.written ?? 0} of 1 rows`);
    }
    return rows[0]!.fresh ? 'recorded' : 'replayed';
  }

  /**
   * Records a refusal of a request whose id cannot be trusted (unauthenticated or stale), without
   * claiming the id: an attacker must not be able to burn ids, or fill the nonce table, for free.
   */
  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.pool.query(RECORD, [
        entry.action,
        entry.keyId ?? null,
        entry.decision,
        entry.reason ?? null,
        entry.requestId,
        entry.digest ?? null,
      ]);
    } catch (error) {
      this.logger.error({ err: error, requestId: entry.requestId }, 'audit write failed');
      throw new AuditUnavailableError({ cause: error });
    }
  }

  /**
   * Claims a request id without an audit row (health checks are not decisions). Doubles as the
   * health probe: it proves the database takes writes. Returns false on a replay.
   */
  async claim(requestId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO signer.request_nonces (request_id, seen_at) VALUES ($1, now() AT TIME ZONE 'UTC')
       ON CONFLICT (request_id) DO NOTHING`,
      [requestId],
    );
    return rowCount === 1;
  }

  /** Deletes request ids past {@link REQUEST_ID_RETENTION_SECONDS}; returns how many. */
  async pruneRequestIds(): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM signer.request_nonces
       WHERE seen_at < (now() AT TIME ZONE 'UTC') - make_interval(secs => $1)`,
      [REQUEST_ID_RETENTION_SECONDS],
    );
    return rowCount ?? 0;
  }
}
