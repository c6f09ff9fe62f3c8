import { applyMigrations } from './migrations.ts';
import { noFilters, readSchemaFiles, startSchemaEngine } from './schema-engine.ts';

/**
 * Applies every migration to the (scratch) database at `scratchUrl`, then returns the SQL that
 * would take it to what prisma/schema.prisma describes: empty when migrations and schema agree.
 */
export async function diffMigrationsAgainstSchema(scratchUrl: string): Promise<string> {
  await applyMigrations(scratchUrl);
  const engine = await startSchemaEngine(scratchUrl);
  const files = readSchemaFiles();
  const result = await engine.diff({
    from: { tag: 'schemaDatasource', files, configDir: process.cwd() },
    to: { tag: 'schemaDatamodel', files },
    script: true,
    exitCode: null,
    filters: noFilters,
  });
  const sql = result.stdout ?? '';
  return sql.includes('This is an empty migration') ? '' : sql;
}
