import { cpSync, mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyMigrations,
  migrationsDir,
  MigrationChecksumMismatchError,
  readMigrations,
} from '../../scripts/db/migrations.ts';
import { diffMigrationsAgainstSchema } from '../../scripts/db/drift.ts';
import { createScratchDatabase } from '../../scripts/db/scratch-database.ts';
import { TEST_POSTGRES_URL } from '../support/database.ts';

const drops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(drops.splice(0).map((drop) => drop()));
});

async function scratch() {
  const database = await createScratchDatabase(TEST_POSTGRES_URL, 'migrations');
  drops.push(database.drop);
  return database.url;
}

describe('applyMigrations', () => {
  it('applies every migration once and records it the way Prisma does', async () => {
    const url = await scratch();
    const names = readMigrations().map((migration) => migration.name);
    expect(await applyMigrations(url)).toEqual(names);
    expect(await applyMigrations(url)).toEqual([]);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(
      'SELECT migration_name, checksum, finished_at FROM "_prisma_migrations"',
    );
    await client.end();
    expect(rows.map((row) => row.migration_name)).toEqual(names);
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.checksum) && row.finished_at)).toBe(true);
  });

  it('is safe when two runners start at the same moment', async () => {
    const url = await scratch();
    const [first, second] = await Promise.all([applyMigrations(url), applyMigrations(url)]);
    expect([...first, ...second].sort()).toEqual(readMigrations().map((migration) => migration.name));
  });

  describe('when an applied migration was edited afterwards', () => {
    it('refuses to go on', async () => {
      const url = await scratch();
      const copy = mkdtempSync(join(tmpdir(), 'migrations-'));
      cpSync(migrationsDir, copy, { recursive: true });
      const dir = pathToFileURL(`${copy}/`);
      await applyMigrations(url, dir);
      const first = readMigrations(dir)[0]!;
      appendFileSync(join(copy, first.name, 'migration.sql'), '\n-- edited\n');
      await expect(applyMigrations(url, dir)).rejects.toBeInstanceOf(MigrationChecksumMismatchError);
    });
  });
});

describe('the migrations folder', () => {
  it('produces exactly what prisma/schema.prisma describes', async () => {
    const url = await scratch();
    expect(await diffMigrationsAgainstSchema(url)).toBe('');
  });
});
