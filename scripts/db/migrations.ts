import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import pg from 'pg';

/** The folder Prisma's CLI reads and writes: `<timestamp>_<name>/migration.sql`. */
export const migrationsDir = new URL('../../prisma/migrations/', import.meta.url);

// Same key Prisma's schema engine locks on, so our runner and Prisma's never interleave.
const PRISMA_ADVISORY_LOCK = 72707369;

/** One migration folder as Prisma sees it. */
export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

/** A migration already recorded in the database whose file no longer matches what was applied. */
export class MigrationChecksumMismatchError extends Error {
  readonly code = 'MIGRATION_CHECKSUM_MISMATCH';
  constructor(readonly migrationName: string) {
    super(`migration ${migrationName} was modified after it was applied`);
    this.name = 'MigrationChecksumMismatchError';
  }
}

/** A migration that failed earlier and was never resolved; Prisma's CLI refuses to go on too. */
export class FailedMigrationError extends Error {
  readonly code = 'MIGRATION_FAILED_EARLIER';
  constructor(readonly migrationName: string) {
    super(`migration ${migrationName} failed earlier; resolve it before applying more`);
    this.name = 'FailedMigrationError';
  }
}

export function readMigrations(dir: URL = migrationsDir): MigrationFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(new URL(`${name}/migration.sql`, dir), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies pending migrations with the same bookkeeping as `prisma migrate deploy`
 * (`_prisma_migrations`, sha256 checksums, Prisma's advisory lock). Each migration and its record
 * commit together, and the whole script goes to the server on one connection in one message, so
 * `$$` bodies and multi-statement scripts are never split. Safe to run any number of times.
 *
 * @returns the names of the migrations applied by this call
 */
export async function applyMigrations(connectionString: string, dir: URL = migrationsDir): Promise<string[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY NOT NULL,
      "checksum" VARCHAR(64) NOT NULL,
      "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL,
      "logs" TEXT,
      "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
      "applied_steps_count" INTEGER NOT NULL DEFAULT 0
    )`);
    const { rows } = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
    }>('SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL');
    const recorded = new Map(rows.map((row) => [row.migration_name, row]));
    const applied: string[] = [];
    for (const migration of readMigrations(dir)) {
      const record = recorded.get(migration.name);
      if (record?.finished_at === null) throw new FailedMigrationError(migration.name);
      if (record) {
        if (record.checksum !== migration.checksum) throw new MigrationChecksumMismatchError(migration.name);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
      applied.push(migration.name);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => undefined);
    await client.end();
  }
}
