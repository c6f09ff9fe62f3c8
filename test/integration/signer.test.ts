/**
 * The key service end to end: the real server in-process on an ephemeral port, the real client,
 * a fresh migrated PostgreSQL database. Keys and secrets are generated per run.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import {
  Account,
  Asset,
  Keypair,
  Networks,
  Operation,
  StrKey,
  TransactionBuilder,
  type xdr,
} from '@stellar/stellar-sdk';
import { Transaction as EvmTransaction, Wallet } from 'ethers';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SignerRefusedError,
  SignerUnavailableError,
  createSignerClient,
} from '../../core/adapters/signer-client.ts';
import { createLogger } from '../../core/logger.ts';
import type { KeyService } from '../../core/ports.ts';
import { signRequest, signerAuthHeaders } from '../../core/signer-protocol/auth.ts';
import {
  signerRoutes,
  type CreateKeyResponse,
  type SignEvmRequest,
} from '../../core/signer-protocol/schema.ts';
import { kekFromBase64 } from '../../signer/envelope.ts';
import { Keystore, rewrapAll } from '../../signer/keystore.ts';
import { startSigner, type RunningSigner, type SignerServerConfig } from '../../signer/server.ts';
import { createTestDatabase, createTestPool } from '../support/database.ts';

const passphrase = Networks.TESTNET;
const chainId = 31337;

let database: { url: string; drop: () => Promise<void> };
let pool: pg.Pool;
let config: SignerServerConfig;
let signer: RunningSigner;
let client: KeyService;
/** Request ids the signer received, in order, so audit rows can be looked up per call. */
const sentRequestIds: string[] = [];
/** Health checks are not decisions and have no audit row. */
const healthRequestIds = new Set<string>();
const logLines: string[] = [];

const logger = createLogger({
  level: 'trace',
  name: 'signer-test',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
});

/** Starts (or restarts) the signer and a client with the default transport, noting every request id it receives. */
async function start(): Promise<void> {
  signer = await startSigner({ ...config, SIGNER_URL: 'http://127.0.0.1:0' }, logger);
  signer.server.on('request', (request: IncomingMessage) => {
    const id = request.headers[signerAuthHeaders.requestId];
    if (typeof id !== 'string') return;
    sentRequestIds.push(id);
    if (request.url === signerRoutes.health) healthRequestIds.add(id);
  });
  client = createSignerClient({ url: signer.url, authSecret: config.SIGNER_AUTH_SECRET });
}

function lastRequestId(): string {
  return sentRequestIds.at(-1)!;
}

async function auditRows(requestId: string) {
  const { rows } = await pool.query<{
    action: string;
    decision: string;
    reason: string | null;
    key_id: string | null;
    digest: string | null;
  }>('SELECT action, decision, reason, key_id, digest FROM signer.audit WHERE request_id = $1 ORDER BY id', [
    requestId,
  ]);
  return rows;
}

async function refusal(promise: Promise<unknown>): Promise<SignerRefusedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SignerRefusedError);
  return error as SignerRefusedError;
}

function stellarTransaction(source: string, operations: xdr.Operation[], sequence = '1000') {
  const builder = new TransactionBuilder(new Account(source, sequence), {
    fee: '100',
    networkPassphrase: passphrase,
  });
  for (const operation of operations) builder.addOperation(operation);
  return builder.setTimeout(300).build();
}

async function errorCode(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string } };
  return body.error.code;
}

/** A raw, signed request as the client would send it, for tests that must control the bytes. */
function rawRequest(path: string, payload: unknown, options: { timestamp?: number; secret?: string } = {}) {
  const body = JSON.stringify(payload);
  const headers = signRequest({
    secret: options.secret ?? config.SIGNER_AUTH_SECRET,
    method: 'POST',
    path,
    body,
    timestamp: options.timestamp,
  });
  return {
    requestId: headers[signerAuthHeaders.requestId]!,
    send: () =>
      fetch(new URL(path, signer.url), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      }),
  };
}

beforeAll(async () => {
  database = await createTestDatabase('signer');
  pool = createTestPool(database.url, 4);
  config = {
    SIGNER_URL: 'http://127.0.0.1:0',
    SIGNER_AUTH_SECRET: randomBytes(32).toString('base64url'),
    SIGNER_MASTER_KEY: randomBytes(32).toString('base64'),
    SIGNER_DATABASE_URL: database.url,
    EVM_CHAIN_ID: chainId,
    stellar: { passphrase },
  };
  await start();
});

afterAll(async () => {
  await signer?.close();
  await pool?.end();
  await database?.drop();
});

describe('the signer', () => {
  it('listens on the ephemeral port it was given and reports healthy', async () => {
    expect(signer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(signer.url).not.toMatch(/:0$/);
    await expect(client.health()).resolves.toBe(true);
  });
});

describe('the client', () => {
  it('works the same over an injected fetch', async () => {
    const overFetch = createSignerClient({ url: signer.url, authSecret: config.SIGNER_AUTH_SECRET, fetch });
    await expect(overFetch.health()).resolves.toBe(true);
    const key = await overFetch.createKey({ chain: 'stellar', ref: 'wallet:fetch:stellar' });
    await expect(client.createKey({ chain: 'stellar', ref: 'wallet:fetch:stellar' })).resolves.toEqual(key);
    const error = await refusal(overFetch.createKey({ chain: 'evm', ref: 'wallet:fetch:stellar' }));
    expect(error).toMatchObject({ code: 'KEY_REF_CONFLICT', status: 409 });
  });

  describe('when the signer cannot be reached', () => {
    it('reports the signer unavailable and retryable, and health false', async () => {
      const nowhere = createSignerClient({
        url: 'http://127.0.0.1:1',
        authSecret: config.SIGNER_AUTH_SECRET,
      });
      const error = await nowhere
        .createKey({ chain: 'stellar', ref: 'wallet:x' })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(SignerUnavailableError);
      expect(error).toMatchObject({ code: 'SIGNER_UNAVAILABLE', retryable: true });
      await expect(nowhere.health()).resolves.toBe(false);
    });
  });

  describe('when the client holds another auth secret', () => {
    it('throws from health instead of reporting the signer down', async () => {
      const wrong = createSignerClient({ url: signer.url, authSecret: randomBytes(32).toString('hex') });
      const error = await refusal(wrong.health());
      expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401, retryable: false });
    });
  });
});

describe('creating a key', () => {
  it('returns the same key for the same ref', async () => {
    const first = await client.createKey({ chain: 'stellar', ref: 'wallet:1:stellar' });
    const second = await client.createKey({ chain: 'stellar', ref: 'wallet:1:stellar' });
    expect(second).toEqual(first);
    expect(StrKey.isValidEd25519PublicKey(first.address)).toBe(true);
    expect(await auditRows(lastRequestId())).toEqual([
      {
        action: 'create_key',
        decision: 'existing',
        reason: null,
        key_id: first.keyId,
        digest: 'ref:wallet:1:stellar',
      },
    ]);
  });

  describe('when ten requests race for the same ref', () => {
    it('creates exactly one key and returns it to all of them', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, () => client.createKey({ chain: 'evm', ref: 'wallet:2:evm' })),
      );
      expect(new Set(results.map((result) => result.keyId)).size).toBe(1);
      const { rows } = await pool.query(
        "SELECT count(*)::int AS n FROM signer.keys WHERE ref = 'wallet:2:evm'",
      );
      expect(rows[0].n).toBe(1);
      const decisions = await pool.query(
        "SELECT decision, count(*)::int AS n FROM signer.audit WHERE digest = 'ref:wallet:2:evm' GROUP BY decision",
      );
      expect(Object.fromEntries(decisions.rows.map((row) => [row.decision, row.n]))).toEqual({
        created: 1,
        existing: 9,
      });
    });
  });

  it('refuses a ref that already names a key on the other chain', async () => {
    await client.createKey({ chain: 'stellar', ref: 'wallet:3' });
    const error = await refusal(client.createKey({ chain: 'evm', ref: 'wallet:3' }));
    expect(error).toMatchObject({ code: 'KEY_REF_CONFLICT', status: 409 });
  });

  it('refuses an invalid request', async () => {
    const error = await refusal(client.createKey({ chain: 'solana' as 'evm', ref: 'wallet:4' }));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', status: 400 });
    expect((await auditRows(lastRequestId()))[0]).toMatchObject({ decision: 'refused' });
  });
});

describe('signing a Stellar transaction', () => {
  let key: CreateKeyResponse;
  const destination = Keypair.random().publicKey();

  beforeAll(async () => {
    key = await client.createKey({ chain: 'stellar', ref: 'treasury:stellar' });
  });

  describe('when it is a createAccount declared exactly', () => {
    it('returns a signature over the hash that verifies and attaches to the envelope', async () => {
      const transaction = stellarTransaction(key.address, [
        Operation.createAccount({ destination, startingBalance: '2.5' }),
      ]);
      const signed = await client.signStellar({
        keyId: key.keyId,
        networkPassphrase: passphrase,
        transactionXdr: transaction.toXDR(),
        declaredOperations: [{ type: 'createAccount', destination, startingBalance: '2.5' }],
      });
      expect(signed.publicKey).toBe(key.address);
      expect(signed.hash).toBe(transaction.hash().toString('hex'));
      expect(
        Keypair.fromPublicKey(signed.publicKey).verify(
          transaction.hash(),
          Buffer.from(signed.signature, 'base64'),
        ),
      ).toBe(true);
      transaction.addSignature(signed.publicKey, signed.signature);
      expect(transaction.signatures).toHaveLength(1);
      expect(await auditRows(lastRequestId())).toEqual([
        {
          action: 'sign_stellar',
          decision: 'signed',
          reason: null,
          key_id: key.keyId,
          digest: `stellar-tx:${signed.hash}`,
        },
      ]);
    });
  });

  const refusals: [
    string,
    () => { transactionXdr: string; networkPassphrase?: string; declaredOperations?: unknown },
    string,
  ][] = [
    [
      'the network passphrase is another network’s',
      () => ({
        networkPassphrase: Networks.PUBLIC,
        transactionXdr: stellarTransaction(key.address, [
          Operation.createAccount({ destination, startingBalance: '2' }),
        ]).toXDR(),
      }),
      'WRONG_NETWORK',
    ],
    [
      'the transaction source is another account',
      () => ({
        transactionXdr: stellarTransaction(Keypair.random().publicKey(), [
          Operation.createAccount({ destination, startingBalance: '2' }),
        ]).toXDR(),
      }),
      'WRONG_SOURCE',
    ],
    [
      'the envelope holds a payment where a createAccount was declared',
      () => ({
        transactionXdr: stellarTransaction(key.address, [
          Operation.payment({ destination, asset: Asset.native(), amount: '2' }),
        ]).toXDR(),
      }),
      'UNDECLARED_OPERATION',
    ],
    [
      'the envelope holds an extra operation',
      () => ({
        transactionXdr: stellarTransaction(key.address, [
          Operation.createAccount({ destination, startingBalance: '2' }),
          Operation.payment({ destination, asset: Asset.native(), amount: '100' }),
        ]).toXDR(),
      }),
      'UNDECLARED_OPERATION',
    ],
    [
      'the envelope moves a different amount',
      () => ({
        transactionXdr: stellarTransaction(key.address, [
          Operation.createAccount({ destination, startingBalance: '2.0000001' }),
        ]).toXDR(),
      }),
      'UNDECLARED_OPERATION',
    ],
  ];

  describe.each(refusals)('when %s', (_case, build, code) => {
    it(`refuses it with ${code} and records the refusal`, async () => {
      const payload = build();
      const error = await refusal(
        client.signStellar({
          keyId: key.keyId,
          networkPassphrase: payload.networkPassphrase ?? passphrase,
          transactionXdr: payload.transactionXdr,
          declaredOperations: [{ type: 'createAccount', destination, startingBalance: '2' }],
        }),
      );
      expect(error).toMatchObject({ code, status: 403 });
      const rows = await auditRows(lastRequestId());
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ action: 'sign_stellar', decision: 'refused', key_id: key.keyId });
      expect(rows[0]!.reason).toMatch(new RegExp(`^${code}: `));
    });
  });

  it('refuses an unknown key', async () => {
    const other = await client.createKey({ chain: 'evm', ref: 'wallet:5:evm' });
    const transaction = stellarTransaction(key.address, [
      Operation.createAccount({ destination, startingBalance: '2' }),
    ]);
    const error = await refusal(
      client.signStellar({
        keyId: other.keyId,
        networkPassphrase: passphrase,
        transactionXdr: transaction.toXDR(),
        declaredOperations: [{ type: 'createAccount', destination, startingBalance: '2' }],
      }),
    );
    expect(error).toMatchObject({ code: 'UNKNOWN_KEY', status: 404 });
  });
});

describe('signing an EVM transaction', () => {
  let key: CreateKeyResponse;
  const to = Wallet.createRandom().address;
  const request = (keyId: string, changes: Partial<SignEvmRequest> = {}): SignEvmRequest => ({
    keyId,
    chainId,
    transaction: {
      to,
      value: '1000000000000000',
      data: '0x',
      nonce: 0,
      gasLimit: '21000',
      maxFeePerGas: '2000000000',
      maxPriorityFeePerGas: '1000000000',
      chainId,
    },
    declared: { kind: 'native', to, value: '1000000000000000' },
    ...changes,
  });

  beforeAll(async () => {
    key = await client.createKey({ chain: 'evm', ref: 'wallet:6:evm' });
  });

  it('returns a signed type-2 transaction that recovers to the key’s address', async () => {
    const signed = await client.signEvm(request(key.keyId));
    const decoded = EvmTransaction.from(signed.signedTransaction);
    expect(decoded.from).toBe(key.address);
    expect(decoded.type).toBe(2);
    expect(decoded.chainId).toBe(BigInt(chainId));
    expect(decoded.to).toBe(to);
    expect(decoded.hash).toBe(signed.hash);
    expect((await auditRows(lastRequestId()))[0]).toMatchObject({
      decision: 'signed',
      digest: `evm-tx:${signed.hash}`,
    });
  });

  describe('when the chain id is another chain’s', () => {
    it('refuses it', async () => {
      const base = request(key.keyId);
      const error = await refusal(
        client.signEvm({ ...base, chainId: 1, transaction: { ...base.transaction, chainId: 1 } }),
      );
      expect(error).toMatchObject({ code: 'WRONG_NETWORK', status: 403 });
      const inner = await refusal(
        client.signEvm({ ...base, transaction: { ...base.transaction, chainId: 1 } }),
      );
      expect(inner).toMatchObject({ code: 'WRONG_NETWORK' });
    });
  });

  describe('when the value is not the declared one', () => {
    it('refuses it', async () => {
      const base = request(key.keyId);
      const error = await refusal(client.signEvm({ ...base, declared: { kind: 'native', to, value: '1' } }));
      expect(error).toMatchObject({ code: 'UNDECLARED_OPERATION' });
    });
  });
});

describe('authentication', () => {
  let key: CreateKeyResponse;
  const destination = Keypair.random().publicKey();
  const payload = () => ({
    keyId: key.keyId,
    networkPassphrase: passphrase,
    transactionXdr: stellarTransaction(key.address, [
      Operation.createAccount({ destination, startingBalance: '2' }),
    ]).toXDR(),
    declaredOperations: [{ type: 'createAccount', destination, startingBalance: '2' }],
  });

  beforeAll(async () => {
    key = await client.createKey({ chain: 'stellar', ref: 'treasury:stellar' });
  });

  describe('when the request carries no authentication', () => {
    it('refuses it with 401 and records the refusal', async () => {
      const response = await fetch(new URL(signerRoutes.signStellar, signer.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload()),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: { code: 'UNAUTHENTICATED', message: 'authentication headers missing' },
      });
      const { rows } = await pool.query(
        "SELECT decision, reason FROM signer.audit WHERE request_id = '-' AND reason LIKE 'UNAUTHENTICATED%'",
      );
      expect(rows.length).toBeGreaterThan(0);
    });
  });

  describe('when the MAC was made with another secret', () => {
    it('refuses it', async () => {
      const request = rawRequest(signerRoutes.signStellar, payload(), {
        secret: randomBytes(32).toString('hex'),
      });
      const response = await request.send();
      expect(response.status).toBe(401);
      expect(await errorCode(response)).toBe('UNAUTHENTICATED');
      expect(await auditRows(request.requestId)).toEqual([
        expect.objectContaining({
          decision: 'refused',
          reason: 'UNAUTHENTICATED: request signature does not match',
        }),
      ]);
    });
  });

  describe('when the health check is not authenticated', () => {
    it('refuses it too', async () => {
      const response = await fetch(new URL(signerRoutes.health, signer.url));
      expect(response.status).toBe(401);
    });
  });

  describe('when the request was signed 31 s ago', () => {
    it('refuses it as stale', async () => {
      const request = rawRequest(signerRoutes.signStellar, payload(), { timestamp: Date.now() - 31_000 });
      const response = await request.send();
      expect(response.status).toBe(401);
      expect(await errorCode(response)).toBe('STALE_REQUEST');
      expect((await auditRows(request.requestId))[0]).toMatchObject({ decision: 'refused' });
    });
  });

  describe('when the request is replayed', () => {
    it('signs the first and refuses the second, byte-for-byte identical one', async () => {
      const request = rawRequest(signerRoutes.signStellar, payload());
      const first = await request.send();
      expect(first.status).toBe(200);
      const second = await request.send();
      expect(second.status).toBe(401);
      expect(await errorCode(second)).toBe('REPLAYED_REQUEST');
      expect((await auditRows(request.requestId)).map((row) => [row.decision, row.reason])).toEqual([
        ['signed', null],
        ['refused', 'REPLAYED_REQUEST: request id already used'],
      ]);
    });

    it('signs exactly one of several identical copies sent at once', async () => {
      const request = rawRequest(signerRoutes.signStellar, payload());
      const responses = await Promise.all(Array.from({ length: 8 }, () => request.send()));
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
      const rows = await auditRows(request.requestId);
      expect(rows.filter((row) => row.decision === 'signed')).toHaveLength(1);
      expect(rows.filter((row) => row.reason === 'REPLAYED_REQUEST: request id already used')).toHaveLength(
        7,
      );
    });

    it('refuses it after a restart too: the request ids are in the database', async () => {
      const request = rawRequest(signerRoutes.signStellar, payload());
      expect((await request.send()).status).toBe(200);
      await signer.close();
      await start();
      const replay = await request.send();
      expect(replay.status).toBe(401);
      expect(await errorCode(replay)).toBe('REPLAYED_REQUEST');
    });
  });

  describe('when the body is larger than 256 KiB', () => {
    it('refuses it without reading it all', async () => {
      const request = rawRequest(signerRoutes.signStellar, { padding: 'x'.repeat(300 * 1024) });
      const response = await request.send();
      expect(response.status).toBe(413);
      expect(await errorCode(response)).toBe('INVALID_REQUEST');
    });
  });

  describe('when the route does not exist', () => {
    it('answers 404 after authenticating', async () => {
      const request = rawRequest('/v1/export-key', { keyId: key.keyId });
      const response = await request.send();
      expect(response.status).toBe(404);
      expect((await auditRows(request.requestId))[0]).toMatchObject({
        action: 'unknown_route',
        decision: 'refused',
      });
    });
  });
});

describe('when the audit log cannot be written', () => {
  it('signs nothing and leaves the request id unclaimed', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'treasury:stellar' });
    const destination = Keypair.random().publicKey();
    await pool.query('ALTER TABLE signer.audit RENAME TO audit_unavailable');
    let error: SignerRefusedError;
    try {
      error = await refusal(
        client.signStellar({
          keyId: key.keyId,
          networkPassphrase: passphrase,
          transactionXdr: stellarTransaction(key.address, [
            Operation.createAccount({ destination, startingBalance: '2' }),
          ]).toXDR(),
          declaredOperations: [{ type: 'createAccount', destination, startingBalance: '2' }],
        }),
      );
    } finally {
      await pool.query('ALTER TABLE signer.audit_unavailable RENAME TO audit');
    }
    expect(error).toMatchObject({ code: 'AUDIT_UNAVAILABLE', status: 503, retryable: true });
    const claimed = await pool.query('SELECT 1 FROM signer.request_nonces WHERE request_id = $1', [
      lastRequestId(),
    ]);
    expect(claimed.rowCount).toBe(0);
    expect(await auditRows(lastRequestId())).toEqual([]);
  });
});

describe('when two key rows had their sealed keys swapped in the database', () => {
  it('signs with neither, and the rotation stops at them', async () => {
    const keystore = new Keystore({ pool, keks: [kekFromBase64(config.SIGNER_MASTER_KEY)] });
    const { record: first } = await keystore.create('stellar', 'swap:1');
    const { record: second } = await keystore.create('stellar', 'swap:2');
    await pool.query(
      `UPDATE signer.keys AS target
       SET key_ciphertext = source.key_ciphertext, key_nonce = source.key_nonce,
           wrapped_data_key = source.wrapped_data_key, wrap_nonce = source.wrap_nonce
       FROM signer.keys AS source
       WHERE (target.id, source.id) IN (($1::uuid, $2::uuid), ($2::uuid, $1::uuid))`,
      [first.id, second.id],
    );
    const destination = Keypair.random().publicKey();
    for (const record of [first, second]) {
      const error = await refusal(
        client.signStellar({
          keyId: record.id,
          networkPassphrase: passphrase,
          transactionXdr: stellarTransaction(record.address, [
            Operation.createAccount({ destination, startingBalance: '2' }),
          ]).toXDR(),
          declaredOperations: [{ type: 'createAccount', destination, startingBalance: '2' }],
        }),
      );
      expect(error).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    }
    const anotherKek = kekFromBase64(randomBytes(32).toString('base64'));
    await expect(rewrapAll(pool, kekFromBase64(config.SIGNER_MASTER_KEY), anotherKek)).rejects.toThrow(
      'cannot be opened',
    );
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM signer.keys WHERE kek_id = $1', [
      anotherKek.id,
    ]);
    expect(rows[0].n).toBe(0);
    await pool.query("DELETE FROM signer.keys WHERE ref IN ('swap:1', 'swap:2')");
  });
});

describe('every decision', () => {
  it('has an audit row', async () => {
    const { rows } = await pool.query<{ request_id: string }>('SELECT DISTINCT request_id FROM signer.audit');
    const audited = new Set(rows.map((row) => row.request_id));
    expect(healthRequestIds.size).toBeGreaterThan(0);
    const unaudited = sentRequestIds.filter((id) => !audited.has(id) && !healthRequestIds.has(id));
    // The one request made while the audit table was gone is the only one allowed to be missing.
    expect(unaudited).toHaveLength(1);
  });
});

describe('a database dump without the master key', () => {
  it('contains no private key, data key or master key in any form, in any table of any schema', async () => {
    const keystore = new Keystore({ pool, keks: [kekFromBase64(config.SIGNER_MASTER_KEY)] });
    const { rows: keyRows } = await pool.query<{ id: string }>('SELECT id FROM signer.keys');
    expect(keyRows.length).toBeGreaterThanOrEqual(5);

    const secrets: Buffer[] = [
      Buffer.from(config.SIGNER_MASTER_KEY, 'base64'),
      Buffer.from(config.SIGNER_AUTH_SECRET),
    ];
    const texts: string[] = [config.SIGNER_MASTER_KEY, config.SIGNER_AUTH_SECRET];
    for (const { id } of keyRows) {
      const record = (await keystore.find(id))!;
      keystore.withPrivateKey(record, (secret) => {
        secrets.push(Buffer.from(secret));
        if (record.chain === 'stellar') texts.push(StrKey.encodeEd25519SecretSeed(Buffer.from(secret)));
      });
    }
    for (const secret of secrets) {
      texts.push(
        secret.toString('hex'),
        secret.toString('base64'),
        secret.toString('base64url'),
        `0x${secret.toString('hex')}`,
      );
    }
    const needles = texts.map((text) => text.toLowerCase());

    const { rows: tables } = await pool.query<{ schema: string; name: string }>(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`,
    );
    expect(tables.map((table) => `${table.schema}.${table.name}`)).toEqual(
      expect.arrayContaining([
        'signer.keys',
        'signer.audit',
        'signer.request_nonces',
        'public.wallets',
        'pg_catalog.pg_statistic',
      ]),
    );

    const hits: string[] = [];
    let sawAnAddress = false;
    const someAddress = (await pool.query('SELECT public_address FROM signer.keys LIMIT 1')).rows[0]
      .public_address;
    for (const table of tables) {
      const { rows } = await pool.query(`SELECT * FROM "${table.schema}"."${table.name}"`);
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          if (value === null || value === undefined) continue;
          const text = (
            Buffer.isBuffer(value)
              ? value.toString('latin1')
              : typeof value === 'object'
                ? JSON.stringify(value)
                : String(value)
          ).toLowerCase();
          if (text.includes(someAddress.toLowerCase())) sawAnAddress = true;
          const binaryHit = Buffer.isBuffer(value) && secrets.some((secret) => value.includes(secret));
          if (binaryHit || needles.some((needle) => text.includes(needle)))
            hits.push(`${table.schema}.${table.name}.${column}`);
        }
      }
    }
    expect(sawAnAddress).toBe(true);
    expect(hits).toEqual([]);
  });

  it('and no log line carries them either', () => {
    const joined = logLines.join('');
    expect(joined.length).toBeGreaterThan(0);
    expect(joined).not.toContain(config.SIGNER_AUTH_SECRET);
    expect(joined).not.toContain(config.SIGNER_MASTER_KEY);
  });
});

describe('after the master key is rotated', () => {
  let oldMasterKey: string;

  it('re-wraps every key and still signs with the new master key alone', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'treasury:stellar' });
    const evmKey = await client.createKey({ chain: 'evm', ref: 'wallet:6:evm' });
    oldMasterKey = config.SIGNER_MASTER_KEY;
    const oldKek = kekFromBase64(oldMasterKey);
    const newMasterKey = randomBytes(32).toString('base64');
    const newKek = kekFromBase64(newMasterKey);
    await signer.close();

    const { rows: before } = await pool.query('SELECT id, key_ciphertext FROM signer.keys ORDER BY id');
    const rewrapped = await rewrapAll(pool, oldKek, newKek, { batchSize: 2 });
    expect(rewrapped).toBe(before.length);
    const { rows: after } = await pool.query(
      'SELECT id, key_ciphertext, kek_id FROM signer.keys ORDER BY id',
    );
    expect(after.every((row) => row.kek_id === newKek.id)).toBe(true);
    expect(after.map((row) => row.key_ciphertext)).toEqual(before.map((row) => row.key_ciphertext));
    await expect(rewrapAll(pool, oldKek, newKek)).resolves.toBe(0);

    config = { ...config, SIGNER_MASTER_KEY: newMasterKey };
    await start();

    const destination = Keypair.random().publicKey();
    const transaction = stellarTransaction(key.address, [
      Operation.payment({ destination, asset: Asset.native(), amount: '1' }),
    ]);
    const signed = await client.signStellar({
      keyId: key.keyId,
      networkPassphrase: passphrase,
      transactionXdr: transaction.toXDR(),
      declaredOperations: [{ type: 'payment', destination, asset: 'native', amount: '1' }],
    });
    expect(
      Keypair.fromPublicKey(key.address).verify(transaction.hash(), Buffer.from(signed.signature, 'base64')),
    ).toBe(true);

    const to = Wallet.createRandom().address;
    const evm = await client.signEvm({
      keyId: evmKey.keyId,
      chainId,
      transaction: {
        to,
        value: '1',
        data: '0x',
        nonce: 1,
        gasLimit: '21000',
        maxFeePerGas: '2',
        maxPriorityFeePerGas: '1',
        chainId,
      },
      declared: { kind: 'native', to, value: '1' },
    });
    expect(EvmTransaction.from(evm.signedTransaction).from).toBe(evmKey.address);
  });

  it('no longer opens keys with the old master key', async () => {
    const oldOnly = new Keystore({ pool, keks: [kekFromBase64(oldMasterKey)] });
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM signer.keys LIMIT 1');
    const record = (await oldOnly.find(rows[0]!.id))!;
    expect(() => oldOnly.withPrivateKey(record, () => undefined)).toThrow(
      'master key this signer does not hold',
    );
  });
});
