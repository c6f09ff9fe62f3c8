// `npm run db:migrate`: applies pending Prisma migrations to DATABASE_URL.
import { applyMigrations } from './migrations.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('DATABASE_URL is not set\n');
  process.exit(1);
}
const applied = await applyMigrations(url);
process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
