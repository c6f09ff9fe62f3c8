import pg from 'pg';
import { createScratchDatabase } from '../../scripts/db/scratch-database.ts';
import { applyMigrations } from '../../scripts/db/migrations.ts';

/** Where tests find PostgreSQL; CI and every machine here run it on the default port. */
export const TEST_POSTGRES_URL =
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A fresh database with every migration applied, for one test file. Call `drop` in `afterAll`.
 */
export async function createTestDatabase(
  prefix = 'test',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = await createScratchDatabase(TEST_POSTGRES_URL, prefix);
  await applyMigrations(database.url);
  return database;
}

/**
 * A `pg` pool on a test database. Dropping the database terminates its connections; an idle
 * client that learns of it only then must not crash the test run, so the pool listens for it.
 */
export function createTestPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}
