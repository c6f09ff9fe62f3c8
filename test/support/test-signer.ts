import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createSignerClient } from '../../core/adapters/signer-client.ts';
import type { Logger } from '../../core/logger.ts';
import type { KeyService } from '../../core/ports.ts';
import { dailyLimitsSchema } from '../../core/signer-protocol/daily-limits.ts';
import { startSigner, type RunningSigner } from '../../signer/server.ts';

/** A running signer with its generated auth secret and a client for it. */
export interface TestSigner {
  signer: RunningSigner;
  authSecret: string;
  keys: KeyService;
}

/**
 * The key service on a test database, on a free port, with secrets generated for this run (tests
 * never carry fixed keys). `dailyLimits` is SIGNER_DAILY_LIMITS as written in the environment.
 */
export async function startTestSigner(options: {
  databaseUrl: string;
  passphrase: string;
  evmChainId?: number;
  dailyLimits?: string;
  logger?: Logger;
}): Promise<TestSigner> {
  const authSecret = randomBytes(32).toString('base64url');
  const signer = await startSigner(
    {
      SIGNER_URL: 'http://127.0.0.1:0',
      SIGNER_AUTH_SECRET: authSecret,
      SIGNER_MASTER_KEY: randomBytes(32).toString('base64'),
      SIGNER_DATABASE_URL: options.databaseUrl,
      EVM_CHAIN_ID: options.evmChainId ?? 31337,
      stellar: { passphrase: options.passphrase },
      ...(options.dailyLimits === undefined
        ? {}
        : { SIGNER_DAILY_LIMITS: dailyLimitsSchema.parse(options.dailyLimits) }),
    },
    options.logger ?? pino({ level: 'silent' }),
  );
  return { signer, authSecret, keys: createSignerClient({ url: signer.url, authSecret }) };
}
