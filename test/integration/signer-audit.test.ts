/**
 * The audit log and replay guard against real PostgreSQL: grouped commits, replays racing each
 * other, a failing write, and pruning of old request ids.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { AuditLog, REQUEST_ID_RETENTION_SECONDS, type AuditEntry } from '../../signer/audit.ts';
import { AuditUnavailableError } from '../../signer/errors.ts';
import { createTestDatabase, createTestPool } from '../support/database.ts';

let database: { url: string; drop: () => Promise<void> };
let pool: pg.Pool;
let audit: AuditLog;

const requestId = () => randomBytes(16).toString('hex');
const entry = (id: string, changes: Partial<AuditEntry> = {}): AuditEntry => ({
  action: 'sign_stellar',
  decision: 'signed',
  requestId: id,
  keyId: randomUUID(),
  digest: `stellar-tx:${randomBytes(32).toString('hex')}`,
  ...changes,
});

beforeAll(async () => {
  database = await createTestDatabase('signer_audit');
  pool = createTestPool(database.url, 8);
  audit = new AuditLog(pool, createLogger({ level: 'silent', name: 'audit-test' }));
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('committing many decisions at once', () => {
  it('records every one, each with its own fields', async () => {
    const entries = Array.from({ length: 300 }, () => entry(requestId()));
    const outcomes = await Promise.all(entries.map((each) => audit.commit(each)));
    expect(outcomes.every((outcome) => outcome === 'recorded')).toBe(true);
    const { rows } = await pool.query(
      'SELECT request_id, key_id, digest, decision FROM signer.audit WHERE request_id = ANY($1)',
      [entries.map((each) => each.requestId)],
    );
    const byId = new Map(rows.map((row) => [row.request_id, row]));
    for (const each of entries) {
      expect(byId.get(each.requestId)).toEqual({
        request_id: each.requestId,
        key_id: each.keyId,
        digest: each.digest,
        decision: 'signed',
      });
    }
  });

  it('keeps reasons with quotes, commas, braces and the word NULL exactly', async () => {
    const id = requestId();
    const reason = 'UNDECLARED_OPERATION: a "quoted", {braced} \\ back\\slashed NULL reason';
    await audit.commit(entry(id, { decision: 'refused', reason, keyId: null, digest: null }));
    const { rows } = await pool.query(
      'SELECT reason, key_id, digest FROM signer.audit WHERE request_id = $1',
      [id],
    );
    expect(rows).toEqual([{ reason, key_id: null, digest: null }]);
  });
});

describe('when copies of one request race each other', () => {
  it('records exactly one decision and refuses every other copy as a replay', async () => {
    const id = requestId();
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => audit.commit(entry(id))));
    expect(outcomes.filter((outcome) => outcome === 'recorded')).toHaveLength(1);
    const { rows } = await pool.query('SELECT decision, reason FROM signer.audit WHERE request_id = $1', [
      id,
    ]);
    expect(rows).toHaveLength(40);
    expect(rows.filter((row) => row.decision === 'signed')).toHaveLength(1);
    expect(rows.filter((row) => row.reason === 'REPLAYED_REQUEST: request id already used')).toHaveLength(39);
  });

  it('refuses a later copy once the first is recorded', async () => {
    const id = requestId();
    await expect(audit.commit(entry(id))).resolves.toBe('recorded');
    await expect(audit.commit(entry(id))).resolves.toBe('replayed');
  });
});

describe('when the audit table cannot be written', () => {
  it('fails every decision in flight and claims none of their request ids', async () => {
    const ids = Array.from({ length: 20 }, requestId);
    await pool.query('ALTER TABLE signer.audit RENAME TO audit_unavailable');
    let results: PromiseSettledResult<unknown>[];
    try {
      results = await Promise.allSettled(ids.map((id) => audit.commit(entry(id))));
    } finally {
      await pool.query('ALTER TABLE signer.audit_unavailable RENAME TO audit');
    }
    expect(
      results.every(
        (result) => result.status === 'rejected' && result.reason instanceof AuditUnavailableError,
      ),
    ).toBe(true);
    const claimed = await pool.query(
      'SELECT count(*)::int AS n FROM signer.request_nonces WHERE request_id = ANY($1)',
      [ids],
    );
    expect(claimed.rows[0].n).toBe(0);
    await expect(audit.commit(entry(ids[0]!))).resolves.toBe('recorded');
  });
});

describe('pruning request ids', () => {
  it('deletes ids older than the retention and keeps recent ones', async () => {
    const old = requestId();
    const recent = requestId();
    await pool.query(
      `INSERT INTO signer.request_nonces (request_id, seen_at)
       VALUES ($1, (now() AT TIME ZONE 'UTC') - make_interval(secs => $3)), ($2, now() AT TIME ZONE 'UTC')`,
      [old, recent, REQUEST_ID_RETENTION_SECONDS + 1],
    );
    expect(await audit.pruneRequestIds()).toBeGreaterThanOrEqual(1);
    const { rows } = await pool.query(
      'SELECT request_id FROM signer.request_nonces WHERE request_id = ANY($1)',
      [[old, recent]],
    );
    expect(rows.map((row) => row.request_id)).toEqual([recent]);
  });
});
