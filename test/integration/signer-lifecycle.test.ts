/**
 * The signer's process lifecycle: the composition root's config error, a clean start and a
 * graceful stop on SIGTERM, and in-flight requests finishing when the server closes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Account, Keypair, Networks, Operation, TransactionBuilder } from '@stellar/stellar-sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignerClient } from '../../core/adapters/signer-client.ts';
import { createTestDatabase } from '../support/database.ts';
import { startTestSigner } from '../support/test-signer.ts';

let database: { url: string; drop: () => Promise<void> };

beforeAll(async () => {
  database = await createTestDatabase('signer_life');
});

afterAll(async () => {
  await database?.drop();
});

function signerEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SIGNER_URL: 'http://127.0.0.1:0',
    SIGNER_AUTH_SECRET: randomBytes(32).toString('base64url'),
    SIGNER_MASTER_KEY: randomBytes(32).toString('base64'),
    SIGNER_DATABASE_URL: database.url,
    EVM_CHAIN_ID: '31337',
    STELLAR_NETWORK: 'testnet',
    LOG_LEVEL: 'info',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

function runMain(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'signer/main.ts'], {
    cwd: new URL('../..', import.meta.url),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>,
  };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('signer/main.ts', () => {
  describe('when a variable is missing', () => {
    it('prints one config error line and exits 1', async () => {
      const run = runMain(signerEnv({ SIGNER_MASTER_KEY: undefined }));
      const [code] = await run.exited;
      expect(code).toBe(1);
      expect(run.output().stderr).toBe('config error: SIGNER_MASTER_KEY: is required\n');
    });
  });

  describe('when it is started and then sent SIGTERM', () => {
    it('serves signed requests, then stops cleanly without logging a secret', async () => {
      const env = signerEnv();
      const run = runMain(env);
      const url = await waitFor(() => {
        for (const line of run.output().stdout.split('\n')) {
          if (line.includes('"signer listening"')) return (JSON.parse(line) as { url: string }).url;
        }
        return undefined;
      });
      const client = createSignerClient({ url, authSecret: env.SIGNER_AUTH_SECRET! });
      await expect(client.health()).resolves.toBe(true);
      const key = await client.createKey({ chain: 'stellar', ref: 'wallet:main:stellar' });

      run.child.kill('SIGTERM');
      const [code] = await run.exited;
      expect(code).toBe(0);
      const { stdout } = run.output();
      expect(stdout).toContain('"signer stopped"');
      expect(stdout).toContain(key.keyId);
      for (const secret of [env.SIGNER_AUTH_SECRET!, env.SIGNER_MASTER_KEY!])
        expect(stdout).not.toContain(secret);
    });
  });
});

describe('closing a running signer', () => {
  it('finishes the requests in flight, then refuses connections', async () => {
    const { signer, keys: client } = await startTestSigner({
      databaseUrl: database.url,
      passphrase: Networks.TESTNET,
    });
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:close:stellar' });
    const destination = Keypair.random().publicKey();

    // Holding a lock on the audit table keeps every signature waiting on its audit row: in flight.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE signer.audit IN SHARE ROW EXCLUSIVE MODE');

    let received = 0;
    signer.server.on('request', () => (received += 1));
    const inFlight = Array.from({ length: 16 }, (_, index) => {
      const transaction = new TransactionBuilder(new Account(key.address, String(100 + index)), {
        fee: '100',
        networkPassphrase: Networks.TESTNET,
      })
        .addOperation(Operation.createAccount({ destination, startingBalance: '2' }))
        .setTimeout(300)
        .build();
      return client.signStellar({
        keyId: key.keyId,
        networkPassphrase: Networks.TESTNET,
        transactionXdr: transaction.toXDR(),
        declaredOperations: [{ type: 'createAccount', destination, startingBalance: '2' }],
      });
    });
    await waitFor(() => (received === 16 ? true : undefined));
    let closed = false;
    const closing = signer.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);
    await blocker.query('COMMIT');
    await blocker.end();
    await closing;

    const results = await Promise.allSettled(inFlight);
    expect(results.map((result) => result.status)).toEqual(Array(16).fill('fulfilled'));
    await expect(client.health()).resolves.toBe(false);
  });
});
