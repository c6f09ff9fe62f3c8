/**
 * Composition root of the key service: configuration, logger, database pool, HTTP server, and a
 * graceful shutdown on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close the pool).
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { loadSignerConfig, type SignerConfig } from '../core/config.ts';
import { runProcess, type ProcessDefinition } from '../core/process-entry.ts';
import { startSigner } from './server.ts';

/** How the signer process starts; the end-to-end tests reuse its secret list. */
export const signerProcess: ProcessDefinition<SignerConfig> = {
  name: 'signer',
  loadConfig: () => loadSignerConfig(),
  secrets: (config) => [
    config.SIGNER_AUTH_SECRET,
    config.SIGNER_MASTER_KEY,
    config.SIGNER_DATABASE_URL,
    decodeURIComponent(new URL(config.SIGNER_DATABASE_URL).password),
  ],
  async start(config, logger) {
    const pool = new pg.Pool({ connectionString: config.SIGNER_DATABASE_URL, max: 16 });
    // Only message and code: pg hangs the whole client object on these errors.
    pool.on('error', (error: Error & { code?: string }) =>
      logger.error({ code: error.code, reason: error.message }, 'idle database connection failed'),
    );
    try {
      const signer = await startSigner(config, logger, { pool });
      return {
        async stop() {
          await signer.close();
          await pool.end();
        },
      };
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runProcess(signerProcess);
