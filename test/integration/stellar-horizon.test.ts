import { createServer } from 'node:net';
import {
  Account,
  Asset,
  Keypair,
  Operation,
  TransactionBuilder,
  type Transaction,
} from '@stellar/stellar-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidStellarAddressError,
  StellarAccountNotFoundError,
  StellarEnvelopeInvalidError,
  StellarFriendbotError,
  StellarMemoRequiredError,
  StellarSignatureInvalidError,
  StellarSubmissionUnknownError,
  StellarTransactionFailedError,
  attachSignature,
  buildCreateAccountTransaction,
  createStellarNetwork,
  createStellarTransactionFactory,
} from '../../core/adapters/stellar-horizon.ts';
import type { StellarNetwork } from '../../core/ports.ts';
import { startHorizonDouble, type HorizonDouble } from '../doubles/horizon-double.ts';

let double: HorizonDouble;
let stellar: StellarNetwork;

beforeAll(async () => {
  double = await startHorizonDouble();
  stellar = createStellarNetwork({
    horizonUrl: double.url,
    friendbotUrl: double.friendbotUrl,
    passphrase: double.passphrase,
    timeoutMs: 2_000,
  });
});
afterAll(async () => {
  await double.close();
});

function fundedAccount(xlm = '100'): Keypair {
  const keypair = Keypair.random();
  double.createAccount(keypair.publicKey(), xlm);
  return keypair;
}

/** Builds, signs (as the key service would: over the hash) and attaches, through the adapter's helpers. */
async function signedCreateAccount(
  source: Keypair,
  destination: string,
  startingBalance = '2',
  options: { now?: () => number; timeoutSeconds?: number } = {},
) {
  const unsigned = buildCreateAccountTransaction({
    sourceAddress: source.publicKey(),
    sequence: await stellar.getSequence(source.publicKey()),
    destination,
    startingBalance,
    baseFee: (await stellar.feePerOperation()).needed,
    passphrase: double.passphrase,
    timeoutSeconds: options.timeoutSeconds ?? 60,
    now: options.now,
  });
  const signature = source.sign(Buffer.from(unsigned.hash, 'hex')).toString('base64');
  return {
    ...unsigned,
    envelope: attachSignature(unsigned.xdr, double.passphrase, source.publicKey(), signature),
  };
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('createStellarNetwork against the Horizon double', () => {
  describe('getBalances', () => {
    it('lists lumens first and trustlines with their issuer, as exact 7-decimal strings', async () => {
      const issuer = fundedAccount();
      const holder = fundedAccount('100');
      const coffee = new Asset('COFFEE', issuer.publicKey());
      const sign = (tx: Transaction, keypair: Keypair) => (tx.sign(keypair), tx.toXDR());
      const build = (
        keypair: Keypair,
        sequence: string,
        operation: ReturnType<typeof Operation.changeTrust>,
      ) =>
        new TransactionBuilder(new Account(keypair.publicKey(), sequence), {
          fee: '100',
          networkPassphrase: double.passphrase,
        })
          .addOperation(operation)
          .setTimeout(60)
          .build();
      await stellar.submit(
        sign(
          build(
            holder,
            await stellar.getSequence(holder.publicKey()),
            Operation.changeTrust({ asset: coffee }),
          ),
          holder,
        ),
      );
      await stellar.submit(
        sign(
          build(
            issuer,
            await stellar.getSequence(issuer.publicKey()),
            Operation.payment({ destination: holder.publicKey(), asset: coffee, amount: '12.5' }),
          ),
          issuer,
        ),
      );

      expect(await stellar.getBalances(holder.publicKey())).toEqual([
        { assetCode: 'XLM', assetIssuer: null, amount: '99.9999900' },
        { assetCode: 'COFFEE', assetIssuer: issuer.publicKey(), amount: '12.5000000' },
      ]);
    });

    it('returns null for an account that does not exist', async () => {
      const missing = Keypair.random().publicKey();
      expect(await stellar.getBalances(missing)).toBeNull();
      expect(await stellar.accountExists(missing)).toBe(false);
    });

    it('refuses a malformed address before asking Horizon', async () => {
      await expect(stellar.getBalances('GNOTANADDRESS')).rejects.toBeInstanceOf(InvalidStellarAddressError);
    });
  });

  describe('fundWithFriendbot', () => {
    it('creates the account and succeeds again when it already exists', async () => {
      const address = Keypair.random().publicKey();
      await stellar.fundWithFriendbot(address);
      expect(await stellar.accountExists(address)).toBe(true);
      await expect(stellar.fundWithFriendbot(address)).resolves.toBeUndefined();
      expect(double.account(address)?.balance).toBe(100_000_000_000n);
    });

    it('fails with a typed error when the network has no friendbot', async () => {
      const mainnetLike = createStellarNetwork({
        horizonUrl: double.url,
        friendbotUrl: undefined,
        passphrase: double.passphrase,
      });
      const error = await caught(mainnetLike.fundWithFriendbot(Keypair.random().publicKey()));
      expect(error).toBeInstanceOf(StellarFriendbotError);
      expect(error).toMatchObject({ code: 'STELLAR_FRIENDBOT_FAILED' });
    });
  });

  describe('getSequence and feePerOperation', () => {
    it('reads the current sequence as a decimal string and the fee an idle network asks', async () => {
      const account = fundedAccount();
      expect(await stellar.getSequence(account.publicKey())).toBe(
        double.account(account.publicKey())!.sequence.toString(),
      );
      expect(await stellar.feePerOperation()).toEqual({ needed: 100, cap: 10_000 });
    });

    it('quotes what surge pricing asks, from fee_stats, with the configured cap', async () => {
      const capped = createStellarNetwork({
        horizonUrl: double.url,
        friendbotUrl: undefined,
        passphrase: double.passphrase,
        maxFeePerOperation: 5_000,
      });
      double.setSurge({ minFeePerOperation: 1_500n, feeCharged: { p90: 2_000n } });
      try {
        expect(await capped.feePerOperation()).toEqual({ needed: 2_000, cap: 5_000 });
      } finally {
        double.setSurge(null);
      }
    });

    it('raises StellarAccountNotFoundError for a missing account', async () => {
      await expect(stellar.getSequence(Keypair.random().publicKey())).rejects.toBeInstanceOf(
        StellarAccountNotFoundError,
      );
    });
  });

  describe('submit', () => {
    it('lands an envelope built and signed through buildCreateAccountTransaction and attachSignature', async () => {
      const source = fundedAccount();
      const destination = Keypair.random().publicKey();
      const { envelope, hash } = await signedCreateAccount(source, destination, '2.5');

      const result = await stellar.submit(envelope);

      expect(result).toEqual({ hash, ledger: double.latestLedger() });
      expect(await stellar.getBalances(destination)).toEqual([
        { assetCode: 'XLM', assetIssuer: null, amount: '2.5000000' },
      ]);
      expect(await stellar.findTransaction(hash)).toEqual({ successful: true, ledger: result.ledger });
    });

    it('raises StellarTransactionFailedError with the transaction code for a stale sequence', async () => {
      const source = fundedAccount();
      const first = await signedCreateAccount(source, Keypair.random().publicKey());
      const second = await signedCreateAccount(source, Keypair.random().publicKey());
      await stellar.submit(first.envelope);

      const error = await caught(stellar.submit(second.envelope));

      expect(error).toBeInstanceOf(StellarTransactionFailedError);
      expect(error).toMatchObject({
        code: 'STELLAR_TX_FAILED',
        retryable: false,
        fields: { hash: second.hash, transactionCode: 'tx_bad_seq', operationCodes: [] },
      });
    });

    it('carries operation codes when an operation fails, and the failed transaction is findable', async () => {
      const source = fundedAccount('10');
      const { envelope, hash } = await signedCreateAccount(source, Keypair.random().publicKey(), '50');

      const error = await caught(stellar.submit(envelope));

      expect(error).toMatchObject({
        fields: { transactionCode: 'tx_failed', operationCodes: ['op_underfunded'] },
      });
      expect(await stellar.findTransaction(hash)).toEqual({
        successful: false,
        ledger: double.latestLedger(),
      });
    });

    it('reports op_already_exists for an account that is already there', async () => {
      const source = fundedAccount();
      const { envelope } = await signedCreateAccount(source, fundedAccount().publicKey());
      expect(await caught(stellar.submit(envelope))).toMatchObject({
        fields: { transactionCode: 'tx_failed', operationCodes: ['op_already_exists'] },
      });
    });

    it('raises tx_too_late for an envelope whose time bound has passed', async () => {
      const source = fundedAccount();
      const twoMinutesAgo = () => Date.now() - 120_000;
      const { envelope } = await signedCreateAccount(source, Keypair.random().publicKey(), '2', {
        now: twoMinutesAgo,
      });
      expect(await caught(stellar.submit(envelope))).toMatchObject({
        fields: { transactionCode: 'tx_too_late' },
      });
    });

    it('raises StellarSubmissionUnknownError on a 504, and the same envelope lands on resubmission', async () => {
      const source = fundedAccount();
      const destination = Keypair.random().publicKey();
      const { envelope, hash } = await signedCreateAccount(source, destination);
      double.failNext({ status: 504 });

      const error = await caught(stellar.submit(envelope));

      expect(error).toBeInstanceOf(StellarSubmissionUnknownError);
      expect(error).toMatchObject({
        code: 'STELLAR_SUBMISSION_UNKNOWN',
        retryable: true,
        fields: { hash, reason: 'status', status: 504 },
      });
      expect(await stellar.findTransaction(hash)).toBeNull();
      await expect(stellar.submit(envelope)).resolves.toMatchObject({ hash });
    });

    it('reveals a transaction that landed behind a 504 when the same envelope is resubmitted', async () => {
      const source = fundedAccount();
      const destination = Keypair.random().publicKey();
      const { envelope, hash } = await signedCreateAccount(source, destination);
      double.failNext({ status: 504, apply: true });

      await expect(stellar.submit(envelope)).rejects.toBeInstanceOf(StellarSubmissionUnknownError);
      const landed = await stellar.findTransaction(hash);

      expect(landed?.successful).toBe(true);
      await expect(stellar.submit(envelope)).resolves.toEqual({ hash, ledger: landed!.ledger });
      expect(double.account(destination)?.balance).toBe(20_000_000n);
    });

    it('raises StellarSubmissionUnknownError with reason timeout when Horizon does not answer in time', async () => {
      const impatient = createStellarNetwork({
        horizonUrl: double.url,
        friendbotUrl: undefined,
        passphrase: double.passphrase,
        timeoutMs: 150,
      });
      const source = fundedAccount();
      const { envelope, hash } = await signedCreateAccount(source, Keypair.random().publicKey());
      double.timeoutNext();

      const error = await caught(impatient.submit(envelope));

      expect(error).toBeInstanceOf(StellarSubmissionUnknownError);
      expect(error).toMatchObject({ fields: { hash, reason: 'timeout' } });
    });

    it('raises StellarSubmissionUnknownError with reason network when Horizon cannot be reached', async () => {
      const port = await closedPort();
      const unreachable = createStellarNetwork({
        horizonUrl: `http://127.0.0.1:${port}`,
        friendbotUrl: undefined,
        passphrase: double.passphrase,
      });
      const source = fundedAccount();
      const { envelope } = await signedCreateAccount(source, Keypair.random().publicKey());
      expect(await caught(unreachable.submit(envelope))).toMatchObject({
        code: 'STELLAR_SUBMISSION_UNKNOWN',
        fields: { reason: 'network' },
      });
    });

    it('refuses a payment without memo to an account that requires one (SEP-29), submitting nothing', async () => {
      const exchange = fundedAccount();
      double.setAccountData(exchange.publicKey(), 'config.memo_required', '1');
      const source = fundedAccount();
      const payment = new TransactionBuilder(
        new Account(source.publicKey(), await stellar.getSequence(source.publicKey())),
        {
          fee: '100',
          networkPassphrase: double.passphrase,
        },
      )
        .addOperation(
          Operation.payment({ destination: exchange.publicKey(), asset: Asset.native(), amount: '1' }),
        )
        .setTimeout(60)
        .build();
      payment.sign(source);
      const submissions = double.requests().filter((request) => request.method === 'POST').length;

      const error = await caught(stellar.submit(payment.toXDR()));

      expect(error).toBeInstanceOf(StellarMemoRequiredError);
      expect(error).toMatchObject({ fields: { destination: exchange.publicKey(), operationIndex: 0 } });
      expect(double.requests().filter((request) => request.method === 'POST')).toHaveLength(submissions);
    });

    it('refuses bytes that are not an envelope', async () => {
      await expect(stellar.submit('bm90IGFuIGVudmVsb3Bl')).rejects.toBeInstanceOf(
        StellarEnvelopeInvalidError,
      );
    });
  });

  describe('findTransaction', () => {
    it('returns null for a hash the network has not seen', async () => {
      expect(await stellar.findTransaction('cd'.repeat(32))).toBeNull();
    });
  });
});

describe('buildCreateAccountTransaction and attachSignature', () => {
  const passphrase = 'Test SDF Network ; September 2015';
  const source = Keypair.random();
  const destination = Keypair.random().publicKey();
  const input = {
    sourceAddress: source.publicKey(),
    sequence: '8589934592',
    destination,
    startingBalance: '2.5',
    baseFee: 100,
    passphrase,
    timeoutSeconds: 60,
    now: () => 1_700_000_000_000,
  };

  it('builds an unsigned envelope at the next sequence with an upper time bound', () => {
    const unsigned = buildCreateAccountTransaction(input);
    const tx = TransactionBuilder.fromXDR(unsigned.xdr, passphrase) as Transaction;

    expect(unsigned.maxTime).toBe(1_700_000_060);
    expect(tx.timeBounds).toEqual({ minTime: '0', maxTime: '1700000060' });
    expect(tx.sequence).toBe('8589934593');
    expect(tx.fee).toBe('100');
    expect(tx.signatures).toHaveLength(0);
    expect(tx.operations).toEqual([
      expect.objectContaining({ type: 'createAccount', destination, startingBalance: '2.5000000' }),
    ]);
    expect(tx.hash().toString('hex')).toBe(unsigned.hash);
  });

  it('attaches a signature made over the hash elsewhere, and the result verifies', () => {
    const unsigned = buildCreateAccountTransaction(input);
    const signature = source.sign(Buffer.from(unsigned.hash, 'hex')).toString('base64');

    const signed = TransactionBuilder.fromXDR(
      attachSignature(unsigned.xdr, passphrase, source.publicKey(), signature),
      passphrase,
    );

    expect(signed.signatures).toHaveLength(1);
    expect(source.verify(signed.hash(), signed.signatures[0]!.signature())).toBe(true);
    expect(signed.hash().toString('hex')).toBe(unsigned.hash);
  });

  it('refuses a signature by another key or for another network', () => {
    const unsigned = buildCreateAccountTransaction(input);
    const byStranger = Keypair.random().sign(Buffer.from(unsigned.hash, 'hex')).toString('base64');
    expect(() => attachSignature(unsigned.xdr, passphrase, source.publicKey(), byStranger)).toThrow(
      StellarSignatureInvalidError,
    );
    const otherNetwork = buildCreateAccountTransaction({
      ...input,
      passphrase: 'Standalone Network ; February 2017',
    });
    const wrongNetwork = source.sign(Buffer.from(otherNetwork.hash, 'hex')).toString('base64');
    expect(() => attachSignature(unsigned.xdr, passphrase, source.publicKey(), wrongNetwork)).toThrow(
      StellarSignatureInvalidError,
    );
  });

  it('refuses amounts with more than 7 decimals, bad addresses and a missing time bound', () => {
    expect(() => buildCreateAccountTransaction({ ...input, startingBalance: '2.00000001' })).toThrow(
      expect.objectContaining({ code: 'AMOUNT_INVALID' }),
    );
    expect(() => buildCreateAccountTransaction({ ...input, destination: 'GBAD' })).toThrow(
      InvalidStellarAddressError,
    );
    expect(() => buildCreateAccountTransaction({ ...input, timeoutSeconds: 0 })).toThrow(
      expect.objectContaining({ code: 'STELLAR_TIMEOUT_INVALID' }),
    );
  });

  it('is what createStellarTransactionFactory serves through the port', () => {
    const factory = createStellarTransactionFactory(passphrase, input.now);
    const { xdr, hash } = factory.createAccount(input);
    expect(hash).toBe(buildCreateAccountTransaction(input).hash);
    const signature = source.sign(Buffer.from(hash, 'hex')).toString('base64');
    expect(
      TransactionBuilder.fromXDR(factory.attachSignature(xdr, source.publicKey(), signature), passphrase)
        .signatures,
    ).toHaveLength(1);
  });
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
