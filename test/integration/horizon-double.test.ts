import {
  Account,
  Asset,
  Horizon,
  Keypair,
  NotFoundError,
  Operation,
  TransactionBuilder,
  type Transaction,
  type xdr,
} from '@stellar/stellar-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FRIENDBOT_STARTING_BALANCE,
  startHorizonDouble,
  type HorizonDouble,
} from '../doubles/horizon-double.ts';

let double: HorizonDouble;
let server: Horizon.Server;

beforeAll(async () => {
  double = await startHorizonDouble();
  server = new Horizon.Server(double.url, { allowHttp: true });
});
afterAll(async () => {
  await double.close();
});

/** A fresh account funded by the double's root account. */
function fundedAccount(xlm = '100'): Keypair {
  const keypair = Keypair.random();
  double.createAccount(keypair.publicKey(), xlm);
  return keypair;
}

/** A transaction from `source` at its current sequence (+1), signed by `signers` (default: source). */
async function transaction(
  source: Keypair,
  operations: xdr.Operation[],
  options: {
    signers?: Keypair[];
    sequence?: string;
    fee?: string;
    passphrase?: string;
    timeout?: number;
  } = {},
): Promise<Transaction> {
  const sequence = options.sequence ?? (await server.loadAccount(source.publicKey())).sequence;
  const builder = new TransactionBuilder(new Account(source.publicKey(), sequence), {
    fee: options.fee ?? '100',
    networkPassphrase: options.passphrase ?? double.passphrase,
  });
  for (const operation of operations) builder.addOperation(operation);
  const tx = builder.setTimeout(options.timeout ?? 60).build();
  tx.sign(...(options.signers ?? [source]));
  return tx;
}

/** The HTTP status and Horizon result codes of a rejected submission. */
async function rejection(submission: Promise<unknown>) {
  const error = (await submission.then(
    () => {
      throw new Error('expected the submission to be refused');
    },
    (caught: unknown) => caught,
  )) as { response?: { status?: number; data?: { type?: string; extras?: { result_codes?: unknown } } } };
  return {
    status: error.response?.status,
    type: error.response?.data?.type,
    codes: error.response?.data?.extras?.result_codes,
  };
}

const ONE_XLM = 10_000_000n;

describe('the Horizon double', () => {
  it('describes its network at the root and answers fetchBaseFee and the latest ledger', async () => {
    const root = await server.root();
    expect(root.network_passphrase).toBe(double.passphrase);
    expect(root.history_latest_ledger).toBe(double.latestLedger());
    expect(await server.fetchBaseFee()).toBe(100);
    const ledgers = await server.ledgers().order('desc').limit(1).call();
    expect(ledgers.records[0]?.sequence).toBe(double.latestLedger());
    expect(ledgers.records[0]?.base_reserve_in_stroops).toBe(5_000_000);
  });

  describe('friendbot', () => {
    it('creates an account with 10,000 XLM', async () => {
      const keypair = Keypair.random();
      const response = await fetch(`${double.friendbotUrl}?addr=${keypair.publicKey()}`);
      expect(response.status).toBe(200);
      const account = await server.loadAccount(keypair.publicKey());
      expect(account.balances).toEqual([
        expect.objectContaining({ asset_type: 'native', balance: '10000.0000000' }),
      ]);
      expect(double.account(keypair.publicKey())?.balance).toBe(FRIENDBOT_STARTING_BALANCE);
      // Stellar starts a new account's sequence at its ledger number shifted left by 32 bits.
      expect(BigInt(account.sequence)).toBe(BigInt(double.latestLedger()) << 32n);
    });

    it('refuses an account that is already funded, with Horizon’s problem shape', async () => {
      const keypair = Keypair.random();
      await fetch(`${double.friendbotUrl}?addr=${keypair.publicKey()}`);
      const again = await fetch(`${double.friendbotUrl}?addr=${keypair.publicKey()}`);
      expect(again.status).toBe(400);
      expect(await again.json()).toMatchObject({
        type: 'https://stellar.org/horizon-errors/bad_request',
        title: 'Bad Request',
        status: 400,
        detail: 'account already funded to starting balance',
      });
    });
  });

  describe('accounts', () => {
    it('answers 404 with Horizon’s problem document for an unknown account', async () => {
      const missing = Keypair.random().publicKey();
      await expect(server.loadAccount(missing)).rejects.toBeInstanceOf(NotFoundError);
      const response = await fetch(`${double.url}/accounts/${missing}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ title: 'Resource Missing', status: 404 });
    });
  });

  describe('when a correctly signed createAccount is submitted', () => {
    it('applies it: balances move, the sequence advances and exactly the base fee is charged', async () => {
      const source = fundedAccount('100');
      const destination = Keypair.random();
      const before = double.account(source.publicKey())!;
      const tx = await transaction(source, [
        Operation.createAccount({ destination: destination.publicKey(), startingBalance: '2.5' }),
      ]);

      const result = await server.submitTransaction(tx);

      expect(result.successful).toBe(true);
      expect(result.hash).toBe(tx.hash().toString('hex'));
      expect(result.ledger).toBe(double.latestLedger());
      const after = double.account(source.publicKey())!;
      expect(after.balance).toBe(before.balance - 25_000_000n - 100n);
      expect(after.sequence).toBe(before.sequence + 1n);
      const created = await server.loadAccount(destination.publicKey());
      expect(created.balances[0]?.balance).toBe('2.5000000');
      expect(created.sequence).toBe((BigInt(result.ledger) << 32n).toString());

      const record = await server.transactions().transaction(result.hash).call();
      expect(record).toMatchObject({ successful: true, ledger_attr: result.ledger, fee_charged: '100' });
    });

    it('answers 404 for a transaction hash it has not seen', async () => {
      const response = await fetch(`${double.url}/transactions/${'ab'.repeat(32)}`);
      expect(response.status).toBe(404);
    });
  });

  describe('transaction-level checks', () => {
    it('refuses a stale sequence number with tx_bad_seq and changes nothing', async () => {
      const source = fundedAccount();
      const destination = Keypair.random().publicKey();
      const current = double.account(source.publicKey())!;
      const stale = (current.sequence - 1n).toString();
      const tx = await transaction(source, [Operation.createAccount({ destination, startingBalance: '2' })], {
        sequence: stale,
      });

      expect(await rejection(server.submitTransaction(tx))).toEqual({
        status: 400,
        type: 'https://stellar.org/horizon-errors/transaction_failed',
        codes: { transaction: 'tx_bad_seq' },
      });
      expect(double.account(source.publicKey())).toEqual(current);
      expect(double.account(destination)).toBeUndefined();
    });

    it('refuses a signature by another key with tx_bad_auth', async () => {
      const source = fundedAccount();
      const tx = await transaction(
        source,
        [Operation.createAccount({ destination: Keypair.random().publicKey(), startingBalance: '2' })],
        { signers: [Keypair.random()] },
      );
      expect((await rejection(server.submitTransaction(tx))).codes).toEqual({ transaction: 'tx_bad_auth' });
    });

    it('refuses an envelope signed for another network with tx_bad_auth', async () => {
      const source = fundedAccount();
      const tx = await transaction(
        source,
        [Operation.createAccount({ destination: Keypair.random().publicKey(), startingBalance: '2' })],
        { passphrase: 'Test SDF Network ; September 2015' },
      );
      expect((await rejection(server.submitTransaction(tx))).codes).toEqual({ transaction: 'tx_bad_auth' });
    });

    it('refuses an extra, unneeded signature with tx_bad_auth_extra', async () => {
      const source = fundedAccount();
      const tx = await transaction(
        source,
        [Operation.createAccount({ destination: Keypair.random().publicKey(), startingBalance: '2' })],
        { signers: [source, Keypair.random()] },
      );
      expect((await rejection(server.submitTransaction(tx))).codes).toEqual({
        transaction: 'tx_bad_auth_extra',
      });
    });

    it('refuses a fee below the base fee per operation with tx_insufficient_fee', async () => {
      const source = fundedAccount();
      const destination = Keypair.random().publicKey();
      const tx = await transaction(
        source,
        [
          Operation.createAccount({ destination, startingBalance: '2' }),
          Operation.payment({ destination, asset: Asset.native(), amount: '1' }),
        ],
        { fee: '99' },
      );
      expect((await rejection(server.submitTransaction(tx))).codes).toEqual({
        transaction: 'tx_insufficient_fee',
      });
    });

    it('refuses a transaction past its maxTime with tx_too_late', async () => {
      // A double of its own: moving the clock must not expire other tests' transactions.
      const timed = await startHorizonDouble();
      try {
        const source = Keypair.random();
        timed.createAccount(source.publicKey(), '10');
        const sequence = timed.account(source.publicKey())!.sequence.toString();
        const tx = new TransactionBuilder(new Account(source.publicKey(), sequence), {
          fee: '100',
          networkPassphrase: timed.passphrase,
        })
          .addOperation(
            Operation.createAccount({ destination: Keypair.random().publicKey(), startingBalance: '2' }),
          )
          .setTimeout(30)
          .build();
        tx.sign(source);
        timed.advanceTime(31);
        const timedServer = new Horizon.Server(timed.url, { allowHttp: true });
        expect((await rejection(timedServer.submitTransaction(tx))).codes).toEqual({
          transaction: 'tx_too_late',
        });
      } finally {
        await timed.close();
      }
    });

    it('refuses a source account that does not exist with tx_no_source_account', async () => {
      const ghost = Keypair.random();
      const tx = await transaction(
        ghost,
        [Operation.createAccount({ destination: Keypair.random().publicKey(), startingBalance: '2' })],
        { sequence: '0' },
      );
      expect((await rejection(server.submitTransaction(tx))).codes).toEqual({
        transaction: 'tx_no_source_account',
      });
    });
  });

  describe('when an operation fails inside the ledger', () => {
    it('reports op_low_reserve for a new account below 1 XLM, yet charges the fee and consumes the sequence', async () => {
      const source = fundedAccount();
      const before = double.account(source.publicKey())!;
      const destination = Keypair.random().publicKey();
      const tx = await transaction(source, [
        Operation.createAccount({ destination, startingBalance: '0.9999999' }),
      ]);

      expect((await rejection(server.submitTransaction(tx))).codes).toEqual({
        transaction: 'tx_failed',
        operations: ['op_low_reserve'],
      });
      const after = double.account(source.publicKey())!;
      expect(after.balance).toBe(before.balance - 100n);
      expect(after.sequence).toBe(before.sequence + 1n);
      expect(double.account(destination)).toBeUndefined();
      const record = await server.transactions().transaction(tx.hash().toString('hex')).call();
      expect(record.successful).toBe(false);
    });

    it('reports op_underfunded when the source would drop below its own minimum balance', async () => {
      const source = fundedAccount('10');
      // 10 XLM - 1 XLM minimum balance - 100 stroops fee leaves 8.99999 XLM to give.
      const tooMuch = await transaction(source, [
        Operation.createAccount({ destination: Keypair.random().publicKey(), startingBalance: '9' }),
      ]);
      expect((await rejection(server.submitTransaction(tooMuch))).codes).toEqual({
        transaction: 'tx_failed',
        operations: ['op_underfunded'],
      });
      const exact = await transaction(source, [
        Operation.createAccount({ destination: Keypair.random().publicKey(), startingBalance: '8.9999800' }),
      ]);
      await server.submitTransaction(exact);
      expect(double.account(source.publicKey())?.balance).toBe(ONE_XLM);
    });

    it('reports op_no_destination for a payment to an account that does not exist', async () => {
      const source = fundedAccount();
      const tx = await transaction(source, [
        Operation.payment({ destination: Keypair.random().publicKey(), asset: Asset.native(), amount: '1' }),
      ]);
      expect((await rejection(server.submitTransaction(tx))).codes).toEqual({
        transaction: 'tx_failed',
        operations: ['op_no_destination'],
      });
    });

    it('rolls back every operation when one fails', async () => {
      const source = fundedAccount();
      const first = Keypair.random().publicKey();
      const tx = await transaction(source, [
        Operation.createAccount({ destination: first, startingBalance: '2' }),
        Operation.payment({ destination: Keypair.random().publicKey(), asset: Asset.native(), amount: '1' }),
      ]);
      expect((await rejection(server.submitTransaction(tx))).codes).toEqual({
        transaction: 'tx_failed',
        operations: ['op_success', 'op_no_destination'],
      });
      expect(double.account(first)).toBeUndefined();
    });
  });

  describe('credit assets and trustlines', () => {
    it('refuses a credit payment without a trustline (op_no_trust), then accepts it after changeTrust', async () => {
      const issuer = fundedAccount();
      const holder = fundedAccount();
      const coffee = new Asset('COFFEE', issuer.publicKey());

      const early = await transaction(issuer, [
        Operation.payment({ destination: holder.publicKey(), asset: coffee, amount: '5' }),
      ]);
      expect((await rejection(server.submitTransaction(early))).codes).toEqual({
        transaction: 'tx_failed',
        operations: ['op_no_trust'],
      });

      await server.submitTransaction(await transaction(holder, [Operation.changeTrust({ asset: coffee })]));
      // The issuer needs no trustline to pay its own asset.
      await server.submitTransaction(
        await transaction(issuer, [
          Operation.payment({ destination: holder.publicKey(), asset: coffee, amount: '5' }),
        ]),
      );

      const account = await server.loadAccount(holder.publicKey());
      expect(account.subentry_count).toBe(1);
      expect(account.balances).toEqual([
        expect.objectContaining({
          asset_type: 'credit_alphanum12',
          asset_code: 'COFFEE',
          asset_issuer: issuer.publicKey(),
          balance: '5.0000000',
          limit: '922337203685.4775807',
        }),
        expect.objectContaining({ asset_type: 'native' }),
      ]);
    });

    it('reports op_src_no_trust, op_underfunded and op_line_full for credit payments that cannot be made', async () => {
      const issuer = fundedAccount();
      const alice = fundedAccount();
      const bob = fundedAccount();
      const tea = new Asset('TEA', issuer.publicKey());
      const noLine = await transaction(alice, [
        Operation.payment({ destination: bob.publicKey(), asset: tea, amount: '1' }),
      ]);
      await server.submitTransaction(
        await transaction(bob, [Operation.changeTrust({ asset: tea, limit: '10' })]),
      );
      expect((await rejection(server.submitTransaction(noLine))).codes).toEqual({
        transaction: 'tx_failed',
        operations: ['op_src_no_trust'],
      });

      await server.submitTransaction(await transaction(alice, [Operation.changeTrust({ asset: tea })]));
      const empty = await transaction(alice, [
        Operation.payment({ destination: bob.publicKey(), asset: tea, amount: '1' }),
      ]);
      expect((await rejection(server.submitTransaction(empty))).codes).toEqual({
        transaction: 'tx_failed',
        operations: ['op_underfunded'],
      });

      const overLimit = await transaction(issuer, [
        Operation.payment({ destination: bob.publicKey(), asset: tea, amount: '10.0000001' }),
      ]);
      expect((await rejection(server.submitTransaction(overLimit))).codes).toEqual({
        transaction: 'tx_failed',
        operations: ['op_line_full'],
      });
    });

    it('refuses a trustline the account cannot reserve for (op_low_reserve) and frees the reserve on removal', async () => {
      const issuer = fundedAccount();
      const poor = fundedAccount('1.0000200');
      const asset = new Asset('USD', issuer.publicKey());
      const tx = await transaction(poor, [Operation.changeTrust({ asset })]);
      expect((await rejection(server.submitTransaction(tx))).codes).toEqual({
        transaction: 'tx_failed',
        operations: ['op_low_reserve'],
      });

      const holder = fundedAccount();
      await server.submitTransaction(await transaction(holder, [Operation.changeTrust({ asset })]));
      expect(double.account(holder.publicKey())?.subentries).toBe(1);
      await server.submitTransaction(
        await transaction(holder, [Operation.changeTrust({ asset, limit: '0' })]),
      );
      expect(double.account(holder.publicKey())).toMatchObject({ subentries: 0, trustlines: [] });
    });
  });

  describe('when the same envelope is submitted twice', () => {
    it('applies it once and answers both submissions with the same result', async () => {
      const source = fundedAccount();
      const destination = Keypair.random().publicKey();
      const tx = await transaction(source, [Operation.createAccount({ destination, startingBalance: '3' })]);

      const first = await server.submitTransaction(tx);
      const balance = double.account(source.publicKey())!.balance;
      const second = await server.submitTransaction(tx);

      expect(second).toMatchObject({ hash: first.hash, ledger: first.ledger, successful: true });
      expect(double.account(source.publicKey())!.balance).toBe(balance);
      expect(double.account(destination)?.balance).toBe(30_000_000n);
      expect(double.transactions().filter((entry) => entry.hash === first.hash)).toHaveLength(1);
    });
  });

  describe('fault injection', () => {
    it('answers a 504 in Horizon’s timeout shape without applying the transaction', async () => {
      const source = fundedAccount();
      const destination = Keypair.random().publicKey();
      const tx = await transaction(source, [Operation.createAccount({ destination, startingBalance: '2' })]);
      double.failNext({ status: 504 });

      const refused = await rejection(server.submitTransaction(tx));

      expect(refused).toMatchObject({ status: 504, type: 'https://stellar.org/horizon-errors/timeout' });
      expect(double.account(destination)).toBeUndefined();
      await expect(server.submitTransaction(tx)).resolves.toMatchObject({ successful: true });
    });

    it('can apply the transaction and still answer 504, the ambiguous case', async () => {
      const source = fundedAccount();
      const destination = Keypair.random().publicKey();
      const tx = await transaction(source, [Operation.createAccount({ destination, startingBalance: '2' })]);
      double.failNext({ status: 504, apply: true });

      expect((await rejection(server.submitTransaction(tx))).status).toBe(504);
      expect(double.account(destination)?.balance).toBe(20_000_000n);
      const ledger = double.transactions().find((entry) => entry.hash === tx.hash().toString('hex'))?.ledger;
      // Resubmitting the same bytes reveals the outcome without applying twice.
      await expect(server.submitTransaction(tx)).resolves.toMatchObject({ successful: true, ledger });
      expect(double.account(destination)?.balance).toBe(20_000_000n);
    });

    it('can hold a submission and drop the connection', async () => {
      const source = fundedAccount();
      const tx = await transaction(source, [
        Operation.createAccount({ destination: Keypair.random().publicKey(), startingBalance: '2' }),
      ]);
      double.timeoutNext({ holdMs: 50 });
      const started = Date.now();
      await expect(server.submitTransaction(tx)).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    });
  });
});
