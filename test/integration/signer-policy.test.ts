/**
 * What the signer refuses to sign, end to end: envelopes that differ from the declared intent
 * (destination, asset, issuer, amount, memo, time bounds), EVM transactions that are not exactly
 * the declared transfer, spending over a key's daily limit (alone, concurrently, re-signed, and
 * rebuilt in the same sequence number or nonce),
 * and every signature while the kill switch is on. Every decision must leave its audit row.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  Account,
  Asset,
  Keypair,
  Memo,
  MuxedAccount,
  Networks,
  Operation,
  TimeoutInfinite,
  TransactionBuilder,
  type xdr,
} from '@stellar/stellar-sdk';
import { Interface, Transaction as EvmTransaction, Wallet } from 'ethers';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignerRefusedError, createSignerClient } from '../../core/adapters/signer-client.ts';
import { createLogger } from '../../core/logger.ts';
import type { KeyService } from '../../core/ports.ts';
import { signRequest, signerAuthHeaders } from '../../core/signer-protocol/auth.ts';
import { dailyLimitsSchema } from '../../core/signer-protocol/daily-limits.ts';
import {
  signerRoutes,
  type CreateKeyResponse,
  type SignEvmRequest,
  type SignStellarRequest,
} from '../../core/signer-protocol/schema.ts';
import { startSigner, type RunningSigner, type SignerServerConfig } from '../../signer/server.ts';
import { createTestDatabase, createTestPool } from '../support/database.ts';

const passphrase = Networks.TESTNET;
const chainId = 31337;
const issuer = Keypair.random().publicKey();
const token = Wallet.createRandom().address;
const erc20 = new Interface(['function transfer(address to, uint256 amount)']);

let database: { url: string; drop: () => Promise<void> };
let pool: pg.Pool;
let config: SignerServerConfig;
const signers: RunningSigner[] = [];
/** Request ids each signer received, in order. */
const requestIds: string[] = [];

async function startWith(
  overrides: Partial<SignerServerConfig>,
): Promise<{ signer: RunningSigner; client: KeyService }> {
  const signer = await startSigner(
    { ...config, ...overrides },
    createLogger({ level: 'silent', name: 'signer-policy-test' }),
  );
  signer.server.on('request', (request: IncomingMessage) => {
    const id = request.headers[signerAuthHeaders.requestId];
    if (typeof id === 'string') requestIds.push(id);
  });
  signers.push(signer);
  return { signer, client: createSignerClient({ url: signer.url, authSecret: config.SIGNER_AUTH_SECRET }) };
}

async function auditRows(requestId: string) {
  const { rows } = await pool.query<{
    action: string;
    decision: string;
    reason: string | null;
    key_id: string;
  }>('SELECT action, decision, reason, key_id FROM signer.audit WHERE request_id = $1 ORDER BY id', [
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

/** Expects the last request to have been refused with `code`, and exactly that refusal audited. */
async function expectAuditedRefusal(code: string): Promise<void> {
  const rows = await auditRows(requestIds.at(-1)!);
  expect(rows).toHaveLength(1);
  expect(rows[0]!.decision).toBe('refused');
  expect(rows[0]!.reason).toMatch(new RegExp(`^${code}: `));
}

let sequence = 1000;
/** Options of an envelope: `sequence` is the transaction's own sequence number (a fresh one by default). */
interface EnvelopeOptions {
  memo?: Memo;
  timeoutSeconds?: number;
  sequence?: bigint;
}

function stellarXdr(source: string, operations: xdr.Operation[], options: EnvelopeOptions = {}): string {
  sequence += 1;
  // The builder gives the transaction the account's sequence number plus one.
  const accountSequence = options.sequence === undefined ? BigInt(sequence) : options.sequence - 1n;
  const builder = new TransactionBuilder(new Account(source, accountSequence.toString()), {
    fee: '100',
    networkPassphrase: passphrase,
  });
  for (const operation of operations) builder.addOperation(operation);
  if (options.memo) builder.addMemo(options.memo);
  return builder
    .setTimeout(options.timeoutSeconds ?? 60)
    .build()
    .toXDR();
}

function payment(
  key: CreateKeyResponse,
  destination: string,
  amount: string,
  options: EnvelopeOptions = {},
): SignStellarRequest {
  return {
    keyId: key.keyId,
    networkPassphrase: passphrase,
    transactionXdr: stellarXdr(
      key.address,
      [Operation.payment({ destination, asset: Asset.native(), amount })],
      options,
    ),
    declaredOperations: [{ type: 'payment', destination, asset: 'native', amount }],
  };
}

let evmNonce = 0;
function evmTransaction(
  to: string,
  value: string,
  data = '0x',
  options: { nonce?: number; maxFeePerGas?: string } = {},
): SignEvmRequest['transaction'] {
  evmNonce += 1;
  return {
    to,
    value,
    data,
    nonce: options.nonce ?? evmNonce,
    gasLimit: '60000',
    maxFeePerGas: options.maxFeePerGas ?? '2000000000',
    maxPriorityFeePerGas: '1000000000',
    chainId,
  };
}

function tokenTransfer(key: CreateKeyResponse, to: string, amount: bigint): SignEvmRequest {
  return {
    keyId: key.keyId,
    chainId,
    transaction: evmTransaction(token, '0', erc20.encodeFunctionData('transfer', [to, amount])),
    declared: { kind: 'erc20', token, to, amount: amount.toString() },
  };
}

beforeAll(async () => {
  database = await createTestDatabase('signer_policy');
  pool = createTestPool(database.url, 4);
  config = {
    SIGNER_URL: 'http://127.0.0.1:0',
    SIGNER_AUTH_SECRET: randomBytes(32).toString('base64url'),
    SIGNER_MASTER_KEY: randomBytes(32).toString('base64'),
    SIGNER_DATABASE_URL: database.url,
    EVM_CHAIN_ID: chainId,
    stellar: { passphrase },
    SIGNER_DAILY_LIMITS: dailyLimitsSchema.parse(
      `wallet:stellar:native=10, wallet:evm:${chainId}:native=0.001, wallet:evm:${chainId}:${token}:6=100`,
    ),
  };
});

afterAll(async () => {
  for (const signer of signers) await signer.close();
  await pool?.end();
  await database?.drop();
});

describe('a Stellar envelope that is not the declared intent', () => {
  let client: KeyService;
  let key: CreateKeyResponse;
  const destination = Keypair.random().publicKey();
  const usdc = new Asset('USDC', issuer);
  const declaredUsdc = {
    type: 'payment',
    destination,
    asset: { code: 'USDC', issuer },
    amount: '5',
  } as const;

  beforeAll(async () => {
    ({ client } = await startWith({}));
    key = await client.createKey({ chain: 'stellar', ref: 'wallet:1:stellar' });
  });

  const sign = (
    operations: xdr.Operation[],
    declared: SignStellarRequest['declaredOperations'],
    options: {
      memo?: Memo;
      declaredMemo?: SignStellarRequest['memo'];
      timeoutSeconds?: number;
    } = {},
  ) =>
    client.signStellar({
      keyId: key.keyId,
      networkPassphrase: passphrase,
      transactionXdr: stellarXdr(key.address, operations, options),
      declaredOperations: declared,
      ...(options.declaredMemo ? { memo: options.declaredMemo } : {}),
    });

  it('is signed when it is exactly the declaration, memo and muxed destination included', async () => {
    const muxed = new MuxedAccount(new Account(destination, '0'), '9').accountId();
    const signed = await sign(
      [Operation.payment({ destination: muxed, asset: usdc, amount: '5' })],
      [{ ...declaredUsdc, destination: muxed }],
      { memo: Memo.text('invoice 7'), declaredMemo: { type: 'text', value: 'invoice 7' } },
    );
    expect(signed.publicKey).toBe(key.address);
    expect((await auditRows(requestIds.at(-1)!))[0]).toMatchObject({ decision: 'signed', key_id: key.keyId });
  });

  it.each([
    [
      'another destination',
      () => Operation.payment({ destination: Keypair.random().publicKey(), asset: usdc, amount: '5' }),
    ],
    ['another asset', () => Operation.payment({ destination, asset: Asset.native(), amount: '5' })],
    [
      'another issuer',
      () =>
        Operation.payment({
          destination,
          asset: new Asset('USDC', Keypair.random().publicKey()),
          amount: '5',
        }),
    ],
    [
      'another asset code',
      () => Operation.payment({ destination, asset: new Asset('USDT', issuer), amount: '5' }),
    ],
    ['another amount', () => Operation.payment({ destination, asset: usdc, amount: '5.0000001' })],
    [
      'a muxed destination declared as its G account',
      () =>
        Operation.payment({
          destination: new MuxedAccount(new Account(destination, '0'), '9').accountId(),
          asset: usdc,
          amount: '5',
        }),
    ],
  ])('is refused when it pays %s, and the refusal is audited', async (_case, operation) => {
    const error = await refusal(sign([operation()], [declaredUsdc]));
    expect(error).toMatchObject({ code: 'UNDECLARED_OPERATION', status: 403, retryable: false });
    await expectAuditedRefusal('UNDECLARED_OPERATION');
  });

  it.each([
    ['a different memo', Memo.text('invoice 8'), { type: 'text', value: 'invoice 7' } as const],
    ['a memo that was not declared', Memo.id('42'), undefined],
    ['no memo where one was declared', undefined, { type: 'id', value: '42' } as const],
  ])('is refused when it carries %s', async (_case, memo, declaredMemo) => {
    const operation = Operation.payment({ destination, asset: usdc, amount: '5' });
    const error = await refusal(sign([operation], [declaredUsdc], { memo, declaredMemo }));
    expect(error).toMatchObject({ code: 'UNDECLARED_OPERATION', status: 403 });
    await expectAuditedRefusal('UNDECLARED_OPERATION');
  });

  it('is refused when it has no time bounds, so it would never expire', async () => {
    const operation = Operation.payment({ destination, asset: usdc, amount: '5' });
    const error = await refusal(sign([operation], [declaredUsdc], { timeoutSeconds: TimeoutInfinite }));
    expect(error).toMatchObject({ code: 'INVALID_TIME_BOUNDS', status: 403 });
    await expectAuditedRefusal('INVALID_TIME_BOUNDS');
  });

  it('is refused when its maxTime is further ahead than the validity window', async () => {
    const operation = Operation.payment({ destination, asset: usdc, amount: '5' });
    const error = await refusal(sign([operation], [declaredUsdc], { timeoutSeconds: 301 }));
    expect(error).toMatchObject({ code: 'INVALID_TIME_BOUNDS' });
    expect(error.message).toMatch(/more than 300 s from now/);
    await expectAuditedRefusal('INVALID_TIME_BOUNDS');
    await expect(sign([operation], [declaredUsdc], { timeoutSeconds: 300 })).resolves.toBeDefined();
  });

  it('is judged by a configured window', async () => {
    const { client: strict } = await startWith({ SIGNER_STELLAR_MAX_VALIDITY_SECONDS: 30 });
    const operation = Operation.payment({ destination, asset: usdc, amount: '5' });
    const request = (timeoutSeconds: number) => ({
      keyId: key.keyId,
      networkPassphrase: passphrase,
      transactionXdr: stellarXdr(key.address, [operation], { timeoutSeconds }),
      declaredOperations: [declaredUsdc],
    });
    await expect(strict.signStellar(request(30))).resolves.toBeDefined();
    expect(await refusal(strict.signStellar(request(60)))).toMatchObject({ code: 'INVALID_TIME_BOUNDS' });
  });
});

describe('an EVM transaction that is not the declared transfer', () => {
  let client: KeyService;
  let key: CreateKeyResponse;
  const recipient = Wallet.createRandom().address;

  beforeAll(async () => {
    ({ client } = await startWith({}));
    key = await client.createKey({ chain: 'evm', ref: 'wallet:1:evm' });
  });

  it('is signed when it is exactly transfer(to, amount) on the declared token', async () => {
    const signed = await client.signEvm(tokenTransfer(key, recipient, 1_000_000n));
    const decoded = EvmTransaction.from(signed.signedTransaction);
    expect(decoded.from).toBe(key.address);
    expect(decoded.to).toBe(token);
    expect(decoded.value).toBe(0n);
    expect(erc20.decodeFunctionData('transfer', decoded.data).toArray()).toEqual([recipient, 1_000_000n]);
  });

  const tampered: [string, (request: SignEvmRequest) => SignEvmRequest][] = [
    [
      'the data pays another recipient',
      (request) => ({
        ...request,
        transaction: {
          ...request.transaction,
          data: erc20.encodeFunctionData('transfer', [Wallet.createRandom().address, 1_000_000n]),
        },
      }),
    ],
    [
      'the data moves another amount',
      (request) => ({
        ...request,
        transaction: {
          ...request.transaction,
          data: erc20.encodeFunctionData('transfer', [recipient, 1_000_001n]),
        },
      }),
    ],
    [
      'the data calls approve instead',
      (request) => ({
        ...request,
        transaction: {
          ...request.transaction,
          data: new Interface(['function approve(address, uint256)']).encodeFunctionData('approve', [
            recipient,
            1_000_000n,
          ]),
        },
      }),
    ],
    [
      'the data has trailing bytes',
      (request) => ({
        ...request,
        transaction: { ...request.transaction, data: `${request.transaction.data}00` },
      }),
    ],
    [
      'the call goes to another token contract',
      (request) => ({
        ...request,
        transaction: { ...request.transaction, to: Wallet.createRandom().address },
      }),
    ],
    [
      'the call also moves native value',
      (request) => ({ ...request, transaction: { ...request.transaction, value: '1' } }),
    ],
    [
      'a contract call is declared as a native transfer',
      (request) => ({ ...request, declared: { kind: 'native', to: token, value: '0' } }),
    ],
  ];

  it.each(tampered)('is refused when %s, and the refusal is audited', async (_case, tamper) => {
    const error = await refusal(client.signEvm(tamper(tokenTransfer(key, recipient, 1_000_000n))));
    expect(error).toMatchObject({ code: 'UNDECLARED_OPERATION', status: 403 });
    await expectAuditedRefusal('UNDECLARED_OPERATION');
  });

  it('is refused for another chain id, and the refusal is audited', async () => {
    const request = tokenTransfer(key, recipient, 1_000_000n);
    const error = await refusal(
      client.signEvm({ ...request, chainId: 1, transaction: { ...request.transaction, chainId: 1 } }),
    );
    expect(error).toMatchObject({ code: 'WRONG_NETWORK', status: 403 });
    await expectAuditedRefusal('WRONG_NETWORK');
  });
});

describe('a key’s daily limit', () => {
  let client: KeyService;
  let signer: RunningSigner;
  const destination = Keypair.random().publicKey();

  const spends = async (keyId: string) => {
    const { rows } = await pool.query<{ slot: string; tx_hash: string; asset: string; amount_base: string }>(
      'SELECT slot, tx_hash, asset, amount_base::text FROM signer.spends WHERE key_id = $1 ORDER BY at, slot',
      [keyId],
    );
    return rows;
  };
  /** What the key's spends count today (UTC), per slot. */
  const today = async (keyId: string) => {
    const { rows } = await pool.query<{ slot: string; amount_base: string }>(
      `SELECT slot, amount_base::text FROM signer.spends
       WHERE key_id = $1 AND day = (now() AT TIME ZONE 'UTC')::date ORDER BY slot`,
      [keyId],
    );
    return Object.fromEntries(rows.map((row) => [row.slot, row.amount_base]));
  };

  beforeAll(async () => {
    ({ client, signer } = await startWith({}));
  });

  it('lets a wallet key spend up to the limit, refuses the payment beyond it, and audits both', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:2:stellar' });
    const first = await client.signStellar(payment(key, destination, '6'));
    await client.signStellar(payment(key, destination, '4'));
    const error = await refusal(client.signStellar(payment(key, destination, '0.0000001')));
    expect(error).toMatchObject({ code: 'DAILY_LIMIT_EXCEEDED', status: 403, retryable: false });
    expect(error.message).toBe(
      'signer refused: daily limit of 10 stellar:native for this key reached: 10 spent today (UTC), 0.0000001 more asked',
    );
    await expectAuditedRefusal('DAILY_LIMIT_EXCEEDED');
    expect(await spends(key.keyId)).toEqual([
      {
        slot: expect.stringMatching(/^stellar:\d+$/),
        tx_hash: first.hash,
        asset: 'stellar:native',
        amount_base: '60000000',
      },
      {
        slot: expect.stringMatching(/^stellar:\d+$/),
        tx_hash: expect.any(String),
        asset: 'stellar:native',
        amount_base: '40000000',
      },
    ]);
  });

  it('counts a starting balance as spending too', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:3:stellar' });
    const request = (startingBalance: string): SignStellarRequest => ({
      keyId: key.keyId,
      networkPassphrase: passphrase,
      transactionXdr: stellarXdr(key.address, [Operation.createAccount({ destination, startingBalance })]),
      declaredOperations: [{ type: 'createAccount', destination, startingBalance }],
    });
    await client.signStellar(request('9'));
    expect(await refusal(client.signStellar(request('2')))).toMatchObject({ code: 'DAILY_LIMIT_EXCEEDED' });
  });

  it('does not count the same transaction twice when it is signed again, even at the limit', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:4:stellar' });
    const request = payment(key, destination, '10');
    const first = await client.signStellar(request);
    const again = await client.signStellar(request);
    expect(again).toEqual(first);
    expect((await auditRows(requestIds.at(-1)!))[0]).toMatchObject({ decision: 'signed' });
    expect(await spends(key.keyId)).toEqual([
      {
        slot: expect.stringMatching(/^stellar:\d+$/),
        tx_hash: first.hash,
        asset: 'stellar:native',
        amount_base: '100000000',
      },
    ]);
    expect(await refusal(client.signStellar(payment(key, destination, '1')))).toMatchObject({
      code: 'DAILY_LIMIT_EXCEEDED',
    });
  });

  it('lets exactly as many concurrent payments through as fit', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:5:stellar' });
    const requests = Array.from({ length: 12 }, () => payment(key, destination, '3'));
    const results = await Promise.allSettled(requests.map((request) => client.signStellar(request)));
    const signed = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(signed).toHaveLength(3);
    expect(refused.map((result) => (result.reason as SignerRefusedError).code)).toEqual(
      Array(9).fill('DAILY_LIMIT_EXCEEDED'),
    );
    const recorded = await spends(key.keyId);
    expect(recorded.reduce((sum, row) => sum + BigInt(row.amount_base), 0n)).toBe(90_000_000n);
    const { rows } = await pool.query(
      `SELECT decision, count(*)::int AS n FROM signer.audit
       WHERE key_id = $1 AND action = 'sign_stellar' GROUP BY decision`,
      [key.keyId],
    );
    expect(Object.fromEntries(rows.map((row) => [row.decision, row.n]))).toEqual({ signed: 3, refused: 9 });
  });

  it('lets concurrent re-signs of one transaction all through, counted once', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:6:stellar' });
    const request = payment(key, destination, '7');
    const results = await Promise.all(Array.from({ length: 6 }, () => client.signStellar(request)));
    expect(new Set(results.map((result) => result.signature)).size).toBe(1);
    expect(await spends(key.keyId)).toHaveLength(1);
  });

  it('counts only today (UTC): yesterday’s spending does not', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:7:stellar' });
    await pool.query(
      `INSERT INTO signer.spends (key_id, slot, tx_hash, asset, amount_base, day)
       VALUES ($1, 'stellar:1', 'yesterday', 'stellar:native', 100000000, (now() AT TIME ZONE 'UTC')::date - 1)`,
      [key.keyId],
    );
    await expect(client.signStellar(payment(key, destination, '10'))).resolves.toBeDefined();
  });

  describe('when a payment is signed again in the slot it takes on the account', () => {
    const hashOf = (transactionXdr: string) =>
      TransactionBuilder.fromXDR(transactionXdr, passphrase).hash().toString('hex');

    it('counts a Stellar envelope rebuilt with a later maxTime once, even at the limit', async () => {
      const key = await client.createKey({ chain: 'stellar', ref: 'wallet:30:stellar' });
      const original = payment(key, destination, '10', { sequence: 5001n, timeoutSeconds: 60 });
      const rebuilt = payment(key, destination, '10', { sequence: 5001n, timeoutSeconds: 120 });
      expect(hashOf(rebuilt.transactionXdr)).not.toBe(hashOf(original.transactionXdr));
      const first = await client.signStellar(original);
      const second = await client.signStellar(rebuilt);
      expect(second.hash).not.toBe(first.hash);
      expect((await auditRows(requestIds.at(-1)!))[0]).toMatchObject({ decision: 'signed' });
      expect(await spends(key.keyId)).toEqual([
        { slot: 'stellar:5001', tx_hash: first.hash, asset: 'stellar:native', amount_base: '100000000' },
      ]);
      const error = await refusal(client.signStellar(payment(key, destination, '1', { sequence: 5002n })));
      expect(error).toMatchObject({ code: 'DAILY_LIMIT_EXCEEDED' });
    });

    it('counts another sequence number again', async () => {
      const key = await client.createKey({ chain: 'stellar', ref: 'wallet:31:stellar' });
      await client.signStellar(payment(key, destination, '6', { sequence: 7001n }));
      const error = await refusal(client.signStellar(payment(key, destination, '6', { sequence: 7002n })));
      expect(error.message).toContain('6 spent today (UTC), 6 more asked');
      expect(await today(key.keyId)).toEqual({ 'stellar:7001': '60000000' });
    });

    it('counts the larger of two amounts signed for one slot, and judges the larger one', async () => {
      const key = await client.createKey({ chain: 'stellar', ref: 'wallet:32:stellar' });
      await client.signStellar(payment(key, destination, '4', { sequence: 8001n }));
      const larger = await client.signStellar(payment(key, destination, '7', { sequence: 8001n }));
      await client.signStellar(payment(key, destination, '5', { sequence: 8001n }));
      expect(await spends(key.keyId)).toEqual([
        { slot: 'stellar:8001', tx_hash: larger.hash, asset: 'stellar:native', amount_base: '70000000' },
      ]);
      await client.signStellar(payment(key, destination, '2', { sequence: 8002n }));
      const error = await refusal(client.signStellar(payment(key, destination, '4', { sequence: 8002n })));
      expect(error).toMatchObject({ code: 'DAILY_LIMIT_EXCEEDED' });
      expect(error.message).toContain('9 spent today (UTC), 2 more asked');
      await expectAuditedRefusal('DAILY_LIMIT_EXCEEDED');
      await client.signStellar(payment(key, destination, '3', { sequence: 8002n }));
      expect(await today(key.keyId)).toEqual({ 'stellar:8001': '70000000', 'stellar:8002': '30000000' });
      expect(await refusal(client.signStellar(payment(key, destination, '0.0000001')))).toMatchObject({
        code: 'DAILY_LIMIT_EXCEEDED',
      });
    });

    it('judges concurrent envelopes of one slot one after the other, keeping the largest', async () => {
      const key = await client.createKey({ chain: 'stellar', ref: 'wallet:33:stellar' });
      const amounts = ['1', '6', '3', '9', '2', '5'];
      const results = await Promise.allSettled(
        amounts.map((amount) => client.signStellar(payment(key, destination, amount, { sequence: 9001n }))),
      );
      expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
      expect(await today(key.keyId)).toEqual({ 'stellar:9001': '90000000' });
      await client.signStellar(payment(key, destination, '1'));
      expect(await refusal(client.signStellar(payment(key, destination, '0.0000001')))).toMatchObject({
        code: 'DAILY_LIMIT_EXCEEDED',
      });
    });

    it('still counts a slot counted on an earlier day, and moves it to today only when it grows', async () => {
      const key = await client.createKey({ chain: 'stellar', ref: 'wallet:34:stellar' });
      await pool.query(
        `INSERT INTO signer.spends (key_id, slot, tx_hash, asset, amount_base, day)
         VALUES ($1, 'stellar:6001', 'a', 'stellar:native', 100000000, (now() AT TIME ZONE 'UTC')::date - 1),
                ($1, 'stellar:6002', 'b', 'stellar:native', 20000000, (now() AT TIME ZONE 'UTC')::date - 1)`,
        [key.keyId],
      );
      await client.signStellar(payment(key, destination, '10', { sequence: 6001n }));
      expect(await today(key.keyId)).toEqual({});
      await client.signStellar(payment(key, destination, '9', { sequence: 6002n }));
      expect(await today(key.keyId)).toEqual({ 'stellar:6002': '90000000' });
      const error = await refusal(client.signStellar(payment(key, destination, '2')));
      expect(error.message).toContain('9 spent today (UTC), 2 more asked');
    });

    it('finds a spend recorded before slots by the hash of the same transaction', async () => {
      const key = await client.createKey({ chain: 'stellar', ref: 'wallet:35:stellar' });
      const request = payment(key, destination, '10', { sequence: 4001n });
      const hash = hashOf(request.transactionXdr);
      await pool.query(
        `INSERT INTO signer.spends (key_id, slot, tx_hash, asset, amount_base, day)
         VALUES ($1, 'legacy:' || $2, $2, 'stellar:native', 100000000, (now() AT TIME ZONE 'UTC')::date)`,
        [key.keyId, hash],
      );
      expect((await client.signStellar(request)).hash).toBe(hash);
      expect(await today(key.keyId)).toEqual({ [`legacy:${hash}`]: '100000000' });
      expect(await refusal(client.signStellar(payment(key, destination, '1')))).toMatchObject({
        code: 'DAILY_LIMIT_EXCEEDED',
      });
    });

    it('counts an EVM transaction once per nonce, repriced or not, at its largest value', async () => {
      const key = await client.createKey({ chain: 'evm', ref: 'wallet:36:evm' });
      const to = Wallet.createRandom().address;
      const native = (value: string, nonce: number, maxFeePerGas?: string): SignEvmRequest => ({
        keyId: key.keyId,
        chainId,
        transaction: evmTransaction(to, value, '0x', { nonce, maxFeePerGas }),
        declared: { kind: 'native', to, value },
      });
      const first = await client.signEvm(native('600000000000000', 7));
      const repriced = await client.signEvm(native('600000000000000', 7, '3000000000'));
      expect(repriced.hash).not.toBe(first.hash);
      expect(await spends(key.keyId)).toEqual([
        {
          slot: `evm:${chainId}:7`,
          tx_hash: first.hash.toLowerCase(),
          asset: `evm:${chainId}:native`,
          amount_base: '600000000000000',
        },
      ]);
      const larger = await client.signEvm(native('900000000000000', 7));
      expect(await refusal(client.signEvm(native('200000000000000', 8)))).toMatchObject({
        code: 'DAILY_LIMIT_EXCEEDED',
      });
      await client.signEvm(native('100000000000000', 8));
      expect(await spends(key.keyId)).toEqual([
        {
          slot: `evm:${chainId}:7`,
          tx_hash: larger.hash.toLowerCase(),
          asset: `evm:${chainId}:native`,
          amount_base: '900000000000000',
        },
        {
          slot: `evm:${chainId}:8`,
          tx_hash: expect.any(String),
          asset: `evm:${chainId}:native`,
          amount_base: '100000000000000',
        },
      ]);
      expect(await refusal(client.signEvm(native('1', 9)))).toMatchObject({ code: 'DAILY_LIMIT_EXCEEDED' });
    });
  });

  it('keeps one counter per key', async () => {
    const [a, b] = await Promise.all([
      client.createKey({ chain: 'stellar', ref: 'wallet:8:stellar' }),
      client.createKey({ chain: 'stellar', ref: 'wallet:9:stellar' }),
    ]);
    await client.signStellar(payment(a!, destination, '10'));
    await expect(client.signStellar(payment(b!, destination, '10'))).resolves.toBeDefined();
  });

  it('does not limit an asset without a configured limit, nor the treasury key', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:10:stellar' });
    const usdc = (amount: string): SignStellarRequest => ({
      keyId: key.keyId,
      networkPassphrase: passphrase,
      transactionXdr: stellarXdr(key.address, [
        Operation.payment({ destination, asset: new Asset('USDC', issuer), amount }),
      ]),
      declaredOperations: [{ type: 'payment', destination, asset: { code: 'USDC', issuer }, amount }],
    });
    await client.signStellar(usdc('1000'));
    await client.signStellar(usdc('1000'));
    const treasury = await client.createKey({ chain: 'stellar', ref: 'treasury:stellar' });
    await client.signStellar(payment(treasury, destination, '50'));
    await client.signStellar(payment(treasury, destination, '50'));
    expect(await spends(key.keyId)).toEqual([]);
    expect(await spends(treasury.keyId)).toEqual([]);
  });

  it('limits EVM native value and each token separately, per chain', async () => {
    const key = await client.createKey({ chain: 'evm', ref: 'wallet:11:evm' });
    const to = Wallet.createRandom().address;
    const native = (value: string): SignEvmRequest => ({
      keyId: key.keyId,
      chainId,
      transaction: evmTransaction(to, value),
      declared: { kind: 'native', to, value },
    });
    await client.signEvm(native('600000000000000'));
    expect(await refusal(client.signEvm(native('400000000000001')))).toMatchObject({
      code: 'DAILY_LIMIT_EXCEEDED',
    });
    await client.signEvm(tokenTransfer(key, to, 100_000_000n));
    const error = await refusal(client.signEvm(tokenTransfer(key, to, 1n)));
    expect(error.message).toContain(
      `daily limit of 100 evm:${chainId}:${token.toLowerCase()} for this key reached`,
    );
    await expectAuditedRefusal('DAILY_LIMIT_EXCEEDED');
    expect((await spends(key.keyId)).map((row) => [row.asset, row.amount_base])).toEqual([
      [`evm:${chainId}:native`, '600000000000000'],
      [`evm:${chainId}:${token.toLowerCase()}`, '100000000'],
    ]);
  });

  it('refuses a replayed request without counting its spend again', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:12:stellar' });
    const body = JSON.stringify(payment(key, destination, '2'));
    const headers = signRequest({
      secret: config.SIGNER_AUTH_SECRET,
      method: 'POST',
      path: signerRoutes.signStellar,
      body,
    });
    const send = () =>
      fetch(new URL(signerRoutes.signStellar, signer.url), {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body,
      });
    expect((await send()).status).toBe(200);
    const replay = await send();
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('REPLAYED_REQUEST');
    expect((await auditRows(headers[signerAuthHeaders.requestId]!)).map((row) => row.decision)).toEqual([
      'signed',
      'refused',
    ]);
    expect(await spends(key.keyId)).toHaveLength(1);
  });

  it('signs nothing when the spend cannot be recorded', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:13:stellar' });
    await pool.query('ALTER TABLE signer.spends RENAME TO spends_unavailable');
    let error: SignerRefusedError;
    try {
      error = await refusal(client.signStellar(payment(key, destination, '1')));
    } finally {
      await pool.query('ALTER TABLE signer.spends_unavailable RENAME TO spends');
    }
    expect(error).toMatchObject({ code: 'AUDIT_UNAVAILABLE', status: 503, retryable: true });
    expect(await auditRows(requestIds.at(-1)!)).not.toContainEqual(
      expect.objectContaining({ decision: 'signed' }),
    );
  });
});

describe('the kill switch', () => {
  let client: KeyService;

  beforeAll(async () => {
    ({ client } = await startWith({ SIGNER_PAUSED: true }));
  });

  it('still creates keys', async () => {
    const key = await client.createKey({ chain: 'stellar', ref: 'wallet:20:stellar' });
    expect((await auditRows(requestIds.at(-1)!))[0]).toMatchObject({
      decision: 'created',
      key_id: key.keyId,
    });
  });

  it('refuses every Stellar and EVM signature with SIGNER_PAUSED, audited, retryable later', async () => {
    const stellarKey = await client.createKey({ chain: 'stellar', ref: 'wallet:20:stellar' });
    const stellarError = await refusal(
      client.signStellar(payment(stellarKey, Keypair.random().publicKey(), '1')),
    );
    expect(stellarError).toMatchObject({ code: 'SIGNER_PAUSED', status: 503, retryable: true });
    await expectAuditedRefusal('SIGNER_PAUSED');

    const evmKey = await client.createKey({ chain: 'evm', ref: 'wallet:20:evm' });
    const to = Wallet.createRandom().address;
    const evmError = await refusal(
      client.signEvm({
        keyId: evmKey.keyId,
        chainId,
        transaction: evmTransaction(to, '1'),
        declared: { kind: 'native', to, value: '1' },
      }),
    );
    expect(evmError).toMatchObject({ code: 'SIGNER_PAUSED', status: 503 });
    const rows = await auditRows(requestIds.at(-1)!);
    expect(rows).toEqual([
      expect.objectContaining({ action: 'sign_evm', decision: 'refused', key_id: evmKey.keyId }),
    ]);
  });
});
