/**
 * Composition root of the key service: configuration, logger, database pool, HTTP server, and a
 * graceful shutdown on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the pool).
 */
import pg from 'pg';
import { loadSignerConfig, type SignerConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { startSigner, type RunningSigner } from './server.ts';

let config: SignerConfig;
try {
  config = loadSignerConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`config error: ${error.message}\n`);
  process.exit(1);
}

const databasePassword = decodeURIComponent(new URL(config.SIGNER_DATABASE_URL).password);
// pino's asynchronous destination flushes synchronously on process exit, so exiting loses no line.
const logger = createLogger({
  level: config.LOG_LEVEL,
  name: 'signer',
  secrets: [
    config.SIGNER_AUTH_SECRET,
    config.SIGNER_MASTER_KEY,
    config.SIGNER_DATABASE_URL,
    databasePassword,
  ],
});

const pool = new pg.Pool({ connectionString: config.SIGNER_DATABASE_URL, max: 16 });
// Only message and code: pg hangs the whole client object on these errors.
pool.on('error', (error: Error & { code?: string }) =>
  logger.error({ code: error.code, reason: error.message }, 'idle database connection failed'),
);

let signer: RunningSigner;
try {
  signer = await startSigner(config, logger, { pool });
} catch (error) {
  logger.fatal({ err: error }, 'signer failed to start');
  await pool.end().catch(() => undefined);
  process.exit(1);
}

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down');
  try {
    await signer.close();
    await pool.end();
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}

process.on('SIGTERM', (signal) => void shutdown(signal));
process.on('SIGINT', (signal) => void shutdown(signal));
