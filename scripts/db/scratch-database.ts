import { randomBytes } from 'node:crypto';
import pg from 'pg';

const DEFAULT_ADMIN_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * Creates an empty database next to the one `baseUrl` names, hands its URL to `work`, and drops it
 * afterwards. Used for diffs and tests, so nothing ever runs against a database holding real data.
 */
export async function withScratchDatabase<T>(
  baseUrl: string | undefined,
  work: (url: string) => Promise<T>,
): Promise<T> {
  const { url, drop } = await createScratchDatabase(baseUrl);
  try {
    return await work(url);
  } finally {
    await drop();
  }
}

export async function createScratchDatabase(
  baseUrl: string | undefined,
  prefix = 'scratch',
): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new URL(baseUrl ?? DEFAULT_ADMIN_URL);
  admin.pathname = '/postgres';
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin.href });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(admin.href);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    drop: async () => {
      const dropper = new pg.Client({ connectionString: admin.href });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
