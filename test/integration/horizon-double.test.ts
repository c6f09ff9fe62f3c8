import {
  Account,
  AccountRequiresMemoError,
  Asset,
  Horizon,
  Keypair,
  Memo,
  MuxedAccount,
  NotFoundError,
  Operation,
  TransactionBuilder,
  xdr,
  type Transaction,
} from '@stellar/stellar-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HorizonDoubleSubmissionError } from '../doubles/horizon-double.ts';
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

/** One Server-Sent Event as a plain reader sees it. */
interface SseEvent {
  id?: string;
  event?: string;
  retry?: string;
  data: string;
}

/**
 * A plain fetch-based SSE reader: opens `url` with `Accept: text/event-stream` and collects events
 * until the server ends the response, `stopAfter` record events arrived, or `stop` is aborted.
 */
async function readEvents(
  url: string,
  options: { lastEventId?: string; stopAfter?: number; onOpen?: () => void } = {},
): Promise<{ events: SseEvent[]; endedByServer: boolean }> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: {
      Accept: 'text/event-stream',
      ...(options.lastEventId ? { 'Last-Event-ID': options.lastEventId } : {}),
    },
    signal: controller.signal,
  });
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  let records = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { events, endedByServer: true };
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = { data: '' };
      for (const line of block.split('\n')) {
        const colon = line.indexOf(': ');
        const [field, text] = [line.slice(0, colon), line.slice(colon + 2)];
        if (field === 'data' || field === 'id' || field === 'event' || field === 'retry') event[field] = text;
      }
      events.push(event);
      if (event.event === 'open') options.onOpen?.();
      if (event.id !== undefined) records += 1;
      if (options.stopAfter !== undefined && records >= options.stopAfter) {
        controller.abort();
        return { events, endedByServer: false };
      }
    }
  }
}

/** A HAL page as plain JSON. */
interface HalPage {
  _links: Record<string, { href: string }>;
  _embedded: { records: Record<string, unknown>[] };
}

/** GETs a path of the double and parses the JSON answer. */
async function getJson<T = Record<string, unknown>>(path: string): Promise<T> {
  return (await (await fetch(`${double.url}${path}`)).json()) as T;
}

/** Decodes a result XDR into the transaction code and the payment/createAccount/changeTrust codes. */
function decodeResult(resultXdr: string) {
  const result = xdr.TransactionResult.fromXDR(resultXdr, 'base64').result();
  const operations =
    result.switch().name === 'txSuccess' || result.switch().name === 'txFailed'
      ? result.results().map((op) => {
          if (op.switch().name !== 'opInner') return op.switch().name;
          const inner = op.tr();
          return inner.switch().name === 'payment'
            ? inner.paymentResult().switch().name
            : inner.switch().name === 'createAccount'
              ? inner.createAccountResult().switch().name
              : inner.changeTrustResult().switch().name;
        })
      : [];
  return { transaction: result.switch().name, operations };
}

/** The rejection of a submission, with its result XDR decoded. */
async function failure(submission: Promise<unknown>) {
  const error = (await submission.then(
    () => {
      throw new Error('expected the submission to be refused');
    },
    (caught: unknown) => caught,
  )) as { response?: { data?: { extras?: { result_codes?: unknown; result_xdr?: string } } } };
  const extras = error.response?.data?.extras;
  return { codes: extras?.result_codes, xdr: decodeResult(extras?.result_xdr ?? '') };
}

describe('payments applied by the ledger model', () => {
  it('moves lumens, charges the fee and records the payment as Horizon lists it', async () => {
    const alice = fundedAccount('50');
    const bob = fundedAccount('10');
    const tx = await transaction(alice, [
      Operation.payment({ destination: bob.publicKey(), asset: Asset.native(), amount: '12.5' }),
    ]);

    const result = await server.submitTransaction(tx);

    expect(double.account(alice.publicKey())?.balance).toBe(375_000_000n - 100n);
    expect(double.account(bob.publicKey())?.balance).toBe(225_000_000n);
    const page = await server.payments().forTransaction(result.hash).call();
    expect(page.records).toHaveLength(1);
    const id = ((BigInt(result.ledger) << 32n) | (1n << 12n) | 1n).toString();
    expect(page.records[0]).toMatchObject({
      id,
      paging_token: id,
      transaction_successful: true,
      source_account: alice.publicKey(),
      type: 'payment',
      type_i: 1,
      transaction_hash: result.hash,
      asset_type: 'native',
      from: alice.publicKey(),
      to: bob.publicKey(),
      amount: '12.5000000',
    });
    expect(page.records[0]).not.toHaveProperty('to_muxed');
    expect(page.records[0]).not.toHaveProperty('asset_code');
    expect(page.records[0]?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('credits a muxed M... destination to its base account and records to_muxed and to_muxed_id', async () => {
    const sender = fundedAccount();
    const pool = fundedAccount('5');
    const muxed = new MuxedAccount(new Account(pool.publicKey(), '0'), '9007199254740993').accountId();
    const tx = await transaction(sender, [
      Operation.payment({ destination: muxed, asset: Asset.native(), amount: '2' }),
    ]);

    const result = await server.submitTransaction(tx);

    expect(double.account(pool.publicKey())?.balance).toBe(70_000_000n);
    const [record] = (await server.payments().forTransaction(result.hash).call()).records;
    expect(record).toMatchObject({
      to: pool.publicKey(),
      to_muxed: muxed,
      to_muxed_id: '9007199254740993',
    });
    const forPool = await server.payments().forAccount(pool.publicKey()).order('desc').limit(1).call();
    expect(forPool.records[0]?.id).toBe(record?.id);
  });

  it('refuses to let lumens go below the minimum reserve (op_underfunded), and a trustline adds 0.5 XLM to it', async () => {
    const issuer = fundedAccount();
    const saver = fundedAccount('10');
    const sink = fundedAccount();
    // 10 XLM - 100 stroops fee - 1 XLM reserve (2 × 0.5) leaves 8.99999 XLM to send.
    const tooMuch = await transaction(saver, [
      Operation.payment({ destination: sink.publicKey(), asset: Asset.native(), amount: '8.9999901' }),
    ]);
    expect(await failure(server.submitTransaction(tooMuch))).toEqual({
      codes: { transaction: 'tx_failed', operations: ['op_underfunded'] },
      xdr: { transaction: 'txFailed', operations: ['paymentUnderfunded'] },
    });

    await server.submitTransaction(
      await transaction(saver, [Operation.changeTrust({ asset: new Asset('EUR', issuer.publicKey()) })]),
    );
    const account = await server.loadAccount(saver.publicKey());
    expect(account.subentry_count).toBe(1);
    // Now 1.5 XLM is locked: 10 - 3 fees of 100 stroops - 1.5 = 8.4999700 XLM is all that can leave.
    const overReserve = await transaction(saver, [
      Operation.payment({ destination: sink.publicKey(), asset: Asset.native(), amount: '8.4999701' }),
    ]);
    expect((await failure(server.submitTransaction(overReserve))).codes).toEqual({
      transaction: 'tx_failed',
      operations: ['op_underfunded'],
    });
    await server.submitTransaction(
      await transaction(saver, [
        Operation.payment({ destination: sink.publicKey(), asset: Asset.native(), amount: '8.4999600' }),
      ]),
    );
    expect(double.account(saver.publicKey())?.balance).toBe(15_000_000n);
  });

  it('lets an issuer create supply by paying its own asset, without a trustline to itself', async () => {
    const issuer = fundedAccount();
    const holder = fundedAccount();
    const gold = new Asset('GOLDBAR', issuer.publicKey());
    await server.submitTransaction(await transaction(holder, [Operation.changeTrust({ asset: gold })]));

    const result = await server.submitTransaction(
      await transaction(issuer, [
        Operation.payment({ destination: holder.publicKey(), asset: gold, amount: '1000' }),
      ]),
    );

    expect(double.account(holder.publicKey())?.trustlines).toEqual([
      { code: 'GOLDBAR', issuer: issuer.publicKey(), balance: 10_000_000_000n, limit: 2n ** 63n - 1n },
    ]);
    expect(double.account(issuer.publicKey())).toMatchObject({ trustlines: [], subentries: 0 });
    const [record] = (await server.payments().forTransaction(result.hash).call()).records;
    expect(record).toMatchObject({
      asset_type: 'credit_alphanum12',
      asset_code: 'GOLDBAR',
      asset_issuer: issuer.publicKey(),
      amount: '1000.0000000',
    });
    const selfTrust = await transaction(issuer, [Operation.changeTrust({ asset: gold })]);
    expect((await failure(server.submitTransaction(selfTrust))).codes).toEqual({
      transaction: 'tx_failed',
      operations: ['op_malformed'],
    });
  });

  it('puts the failing payment code in the result XDR as well as in result_codes', async () => {
    const issuer = fundedAccount();
    const stranger = fundedAccount();
    const tx = await transaction(issuer, [
      Operation.payment({
        destination: stranger.publicKey(),
        asset: new Asset('USD', issuer.publicKey()),
        amount: '1',
      }),
    ]);
    expect(await failure(server.submitTransaction(tx))).toEqual({
      codes: { transaction: 'tx_failed', operations: ['op_no_trust'] },
      xdr: { transaction: 'txFailed', operations: ['paymentNoTrust'] },
    });
  });
});

describe('memos', () => {
  const memos: [string, Memo, { memo_type: string; memo: string; memo_bytes?: string }][] = [
    [
      'text',
      Memo.text('coffee ☕'),
      { memo_type: 'text', memo: 'coffee ☕', memo_bytes: 'Y29mZmVlIOKYlQ==' },
    ],
    ['id', Memo.id('18446744073709551615'), { memo_type: 'id', memo: '18446744073709551615' }],
    [
      'hash',
      Memo.hash(Buffer.alloc(32, 1).toString('hex')),
      { memo_type: 'hash', memo: Buffer.alloc(32, 1).toString('base64') },
    ],
    [
      'return',
      Memo.return(Buffer.alloc(32, 2).toString('hex')),
      { memo_type: 'return', memo: Buffer.alloc(32, 2).toString('base64') },
    ],
  ];

  it.each(memos)(
    'keeps a %s memo and serves it on the transaction and joined to its payments',
    async (_type, memo, shown) => {
      const source = fundedAccount();
      const destination = fundedAccount();
      const sequence = (await server.loadAccount(source.publicKey())).sequence;
      const tx = new TransactionBuilder(new Account(source.publicKey(), sequence), {
        fee: '100',
        networkPassphrase: double.passphrase,
      })
        .addOperation(
          Operation.payment({ destination: destination.publicKey(), asset: Asset.native(), amount: '1' }),
        )
        .addMemo(memo)
        .setTimeout(60)
        .build();
      tx.sign(source);

      const result = await server.submitTransaction(tx);

      const record = await getJson(`/transactions/${result.hash}`);
      expect(record).toMatchObject(shown);
      if (!shown.memo_bytes) expect(record).not.toHaveProperty('memo_bytes');
      const joined = await getJson<HalPage>(`/transactions/${result.hash}/payments?join=transactions`);
      expect(joined._embedded.records[0]?.transaction).toMatchObject({ hash: result.hash, ...shown });
      const viaSdk = await server.payments().forTransaction(result.hash).join('transactions').call();
      expect(await viaSdk.records[0]!.transaction()).toMatchObject({ hash: result.hash, memo: shown.memo });
    },
  );

  it('has no memo field for a transaction without a memo', async () => {
    const tx = double.pay({ from: fundedAccount(), to: fundedAccount().publicKey(), amount: '1' });
    const record = await getJson(`/transactions/${tx.hash}`);
    expect(record.memo_type).toBe('none');
    expect(record).not.toHaveProperty('memo');
  });
});

describe('operation ids and paging tokens', () => {
  it('numbers operations ledger << 32 | transaction order << 12 | operation index, 1-based, when a ledger holds several transactions', async () => {
    const manual = await startHorizonDouble({ ledgerClose: 'manual' });
    try {
      const manualServer = new Horizon.Server(manual.url, { allowHttp: true });
      const [alice, bob, carol] = [Keypair.random(), Keypair.random(), Keypair.random()];
      for (const keypair of [alice, bob, carol]) manual.createAccount(keypair.publicKey(), '100');
      const build = (source: Keypair, operations: xdr.Operation[]) => {
        const sequence = manual.account(source.publicKey())!.sequence.toString();
        const builder = new TransactionBuilder(new Account(source.publicKey(), sequence), {
          fee: String(100 * operations.length),
          networkPassphrase: manual.passphrase,
        });
        for (const operation of operations) builder.addOperation(operation);
        const tx = builder.setTimeout(60).build();
        tx.sign(source);
        return tx;
      };
      const pay = (to: Keypair, amount: string) =>
        Operation.payment({ destination: to.publicKey(), asset: Asset.native(), amount });

      const firstTx = build(alice, [pay(carol, '1')]);
      const first = manualServer.submitTransaction(firstTx);
      await until(() => manual.requests().filter((request) => request.method === 'POST').length === 1);
      const second = manualServer.submitTransaction(
        build(bob, [
          Operation.changeTrust({ asset: new Asset('X', alice.publicKey()) }),
          pay(carol, '2'),
          pay(alice, '3'),
        ]),
      );
      await until(() => manual.requests().filter((request) => request.method === 'POST').length === 2);
      // Until the ledger closes neither transaction is visible (only the three create_account
      // records are) and neither submission is answered.
      expect(manual.payments()).toHaveLength(3);
      const pending = await fetch(`${manual.url}/transactions/${firstTx.hash().toString('hex')}`);
      expect(pending.status).toBe(404);
      const sequence = manual.closeLedger();
      const [one, two] = await Promise.all([first, second]);

      expect([one.ledger, two.ledger]).toEqual([sequence, sequence]);
      const L = BigInt(sequence) << 32n;
      expect(one.paging_token).toBe((L | (1n << 12n)).toString());
      expect(two.paging_token).toBe((L | (2n << 12n)).toString());
      const page = await manualServer.payments().forLedger(sequence).call();
      expect(page.records.map((record) => [record.id, record.paging_token])).toEqual(
        [L | (1n << 12n) | 1n, L | (2n << 12n) | 2n, L | (2n << 12n) | 3n].map((id) => [
          String(id),
          String(id),
        ]),
      );
      const ledger = await manualServer.ledgers().ledger(sequence).call();
      expect(ledger).toMatchObject({ successful_transaction_count: 2, operation_count: 4 });
    } finally {
      await manual.close();
    }
  });

  it('closes ledgers on a timer when asked to, answering submissions as their ledger closes', async () => {
    const timed = await startHorizonDouble({ ledgerClose: { everyMs: 30 } });
    try {
      const source = Keypair.random();
      timed.createAccount(source.publicKey(), '10');
      const before = timed.latestLedger();
      const sequence = timed.account(source.publicKey())!.sequence.toString();
      const tx = new TransactionBuilder(new Account(source.publicKey(), sequence), {
        fee: '100',
        networkPassphrase: timed.passphrase,
      })
        .addOperation(
          Operation.payment({ destination: source.publicKey(), asset: Asset.native(), amount: '1' }),
        )
        .setTimeout(60)
        .build();
      tx.sign(source);
      const result = await new Horizon.Server(timed.url, { allowHttp: true }).submitTransaction(tx);
      expect(result.ledger).toBeGreaterThan(before);
      await until(() => timed.latestLedger() > result.ledger);
    } finally {
      await timed.close();
    }
  });
});

/** Waits until `condition` holds, polling every 5 ms, for at most 5 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the payments endpoints', () => {
  /** An account with `count` incoming payments of 1, 2, 3... XLM, and the payer. */
  function accountWithPayments(count: number) {
    const payer = fundedAccount('1000');
    const payee = fundedAccount('1');
    for (let i = 1; i <= count; i++) double.pay({ from: payer, to: payee.publicKey(), amount: String(i) });
    return { payer, payee };
  }

  it('pages an account’s payments by cursor in both orders, with HAL links to the next page', async () => {
    const { payee } = accountWithPayments(5);
    const first = await server.payments().forAccount(payee.publicKey()).limit(2).call();
    // The create_account that opened it comes first.
    expect(first.records.map((record) => record.type)).toEqual(['create_account', 'payment']);
    const second = await first.next();
    const third = await second.next();
    expect(
      [...second.records, ...third.records].map((record) => (record as { amount: string }).amount),
    ).toEqual(['2.0000000', '3.0000000', '4.0000000', '5.0000000']);
    expect((await third.next()).records).toEqual([]);

    const body = await getJson<HalPage>(
      `/accounts/${payee.publicKey()}/payments?limit=2&order=desc&join=transactions`,
    );
    const ids = body._embedded.records.map((record) => String(record.id));
    expect(BigInt(ids[0]!)).toBeGreaterThan(BigInt(ids[1]!));
    const path = `${double.url}/accounts/${payee.publicKey()}/payments`;
    expect(body._links).toEqual({
      self: { href: `${path}?cursor=&join=transactions&limit=2&order=desc` },
      next: { href: `${path}?cursor=${ids[1]}&join=transactions&limit=2&order=desc` },
      prev: { href: `${path}?cursor=${ids[0]}&join=transactions&limit=2&order=asc` },
    });
  });

  it('lists 10 records by default and at most 200, refusing other limits, orders and cursors with 400', async () => {
    accountWithPayments(11);
    const page = await getJson<HalPage>('/payments');
    expect(page._embedded.records).toHaveLength(10);
    expect((await getJson<HalPage>('/payments?limit=200'))._embedded.records.length).toBeGreaterThan(10);
    for (const [query, field] of [
      ['limit=201', 'limit'],
      ['limit=0', 'limit'],
      ['order=sideways', 'order'],
      ['cursor=abc', 'cursor'],
      ['cursor=-5', 'cursor'],
      ['include_failed=maybe', 'include_failed'],
      ['join=ledgers', 'join'],
    ]) {
      const response = await fetch(`${double.url}/payments?${query}`);
      expect(response.status, query).toBe(400);
      expect(
        ((await response.json()) as { extras: { invalid_field: string } }).extras.invalid_field,
        query,
      ).toBe(field);
    }
  });

  it('leaves failed transactions out unless include_failed=true, except for one transaction’s own payments', async () => {
    const poor = fundedAccount('2');
    const other = fundedAccount();
    const tx = await transaction(poor, [
      Operation.payment({ destination: other.publicKey(), asset: Asset.native(), amount: '5' }),
    ]);
    await failure(server.submitTransaction(tx));
    const hash = tx.hash().toString('hex');

    const plain = await server.payments().forAccount(poor.publicKey()).call();
    expect(plain.records.map((record) => record.type)).toEqual(['create_account']);
    const withFailed = await server.payments().forAccount(poor.publicKey()).includeFailed(true).call();
    expect(withFailed.records.at(-1)).toMatchObject({
      transaction_successful: false,
      transaction_hash: hash,
      amount: '5.0000000',
    });
    const ofTransaction = await server.payments().forTransaction(hash).call();
    expect(ofTransaction.records).toHaveLength(1);
  });

  it('lists one ledger’s payments and answers 404 for ledgers, transactions and accounts it does not know', async () => {
    const tx = double.pay({ from: fundedAccount(), to: fundedAccount().publicKey(), amount: '3' });
    const page = await server.payments().forLedger(tx.ledger).call();
    expect(page.records.map((record) => record.transaction_hash)).toEqual([tx.hash]);

    for (const path of [
      `/ledgers/${double.latestLedger() + 100}/payments`,
      `/transactions/${'cd'.repeat(32)}/payments`,
      `/accounts/${Keypair.random().publicKey()}/payments`,
    ]) {
      expect((await fetch(`${double.url}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(`${double.url}/accounts/GABC/payments`)).status).toBe(400);
  });

  it('answers cursor=now with an empty page whose next link waits after the latest ledger', async () => {
    double.pay({ from: fundedAccount(), to: fundedAccount().publicKey(), amount: '1' });
    const body = await getJson<HalPage>('/payments?cursor=now');
    expect(body._embedded.records).toEqual([]);
    const now = ((BigInt(double.latestLedger()) << 32n) | 0xffffffffn).toString();
    expect(body._links.next?.href).toBe(`${double.url}/payments?cursor=${now}&limit=10&order=asc`);
  });

  it('serves data entries base64, so the SDK refuses to pay a memo-required account without a memo', async () => {
    const exchange = fundedAccount();
    double.setAccountData(exchange.publicKey(), 'config.memo_required', '1');
    expect((await server.loadAccount(exchange.publicKey())).data_attr).toEqual({
      'config.memo_required': 'MQ==',
    });
    const tx = await transaction(fundedAccount(), [
      Operation.payment({ destination: exchange.publicKey(), asset: Asset.native(), amount: '1' }),
    ]);
    await expect(server.submitTransaction(tx)).rejects.toBeInstanceOf(AccountRequiresMemoError);
  });
});

describe('streaming payments over Server-Sent Events', () => {
  it('speaks Horizon’s format: a hello, then one id/data message per payment after the cursor, then goodbye after limit', async () => {
    const { payer, payee } = (() => {
      const payer = fundedAccount('100');
      const payee = fundedAccount('1');
      return { payer, payee };
    })();
    const created = (await server.payments().forAccount(payee.publicKey()).call()).records[0]!;
    for (let i = 1; i <= 3; i++) double.pay({ from: payer, to: payee.publicKey(), amount: String(i) });

    const { events, endedByServer } = await readEvents(
      `${double.url}/accounts/${payee.publicKey()}/payments?cursor=${created.paging_token}&limit=2`,
    );

    expect(endedByServer).toBe(true);
    expect(events[0]).toEqual({ retry: '1000', event: 'open', data: '"hello"' });
    const records = events.slice(1, 3).map((event) => ({ id: event.id, record: JSON.parse(event.data) }));
    expect(records.map(({ record }) => record.amount)).toEqual(['1.0000000', '2.0000000']);
    for (const { id, record } of records) expect(id).toBe(record.paging_token);
    expect(events[3]).toEqual({ retry: '10', event: 'close', data: '"byebye"' });
    expect(events).toHaveLength(4);

    // A reconnect from the last id (EventSource sends it as Last-Event-ID) goes on where it stopped.
    const resumed = await readEvents(`${double.url}/accounts/${payee.publicKey()}/payments?limit=2`, {
      lastEventId: records[1]!.id!,
      stopAfter: 1,
    });
    expect(JSON.parse(resumed.events[1]!.data).amount).toBe('3.0000000');
  });

  it('pushes payments live as their ledgers close, starting after cursor=now', async () => {
    const payer = fundedAccount();
    const payee = fundedAccount('1');
    double.pay({ from: payer, to: payee.publicKey(), amount: '1' });
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));

    const reading = readEvents(`${double.url}/accounts/${payee.publicKey()}/payments?cursor=now`, {
      stopAfter: 2,
      onOpen: opened,
    });
    await open;
    double.pay({ from: payer, to: payee.publicKey(), amount: '2' });
    double.pay({ from: payer, to: payee.publicKey(), amount: '3', memo: 'thanks' });

    const { events } = await reading;
    expect(events.filter((event) => event.id).map((event) => JSON.parse(event.data).amount)).toEqual([
      '2.0000000',
      '3.0000000',
    ]);
    await until(() => double.openStreams() === 0);
  });

  it('works with the SDK’s stream(), which reconnects from the last paging token after each goodbye', async () => {
    const payer = fundedAccount();
    const payee = fundedAccount('1');
    const seen: string[] = [];
    const errors: unknown[] = [];
    const stop = server
      .payments()
      .forAccount(payee.publicKey())
      .cursor('now')
      .limit(2)
      .stream({
        onmessage: (record) => void seen.push((record as unknown as { amount: string }).amount),
        onerror: (error) => void errors.push(error),
      });
    try {
      await until(() => double.openStreams() > 0);
      for (let i = 1; i <= 5; i++) double.pay({ from: payer, to: payee.publicKey(), amount: String(i) });
      await until(() => seen.length === 5);
      expect(seen).toEqual(['1.0000000', '2.0000000', '3.0000000', '4.0000000', '5.0000000']);
      expect(errors).toEqual([]);
    } finally {
      stop();
    }
  });

  it('answers other streams with 406 and reports an unknown account inside the stream, as Horizon does', async () => {
    const ledgers = await fetch(`${double.url}/ledgers`, { headers: { Accept: 'text/event-stream' } });
    expect(ledgers.status).toBe(406);
    const { events, endedByServer } = await readEvents(
      `${double.url}/accounts/${Keypair.random().publicKey()}/payments`,
    );
    expect(endedByServer).toBe(true);
    expect(events).toEqual([
      { retry: '1000', event: 'open', data: '"hello"' },
      { event: 'error', data: 'problem: not_found' },
    ]);
  });

  it('ends open streams cleanly when the double closes', async () => {
    const closing = await startHorizonDouble();
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const reading = readEvents(`${closing.url}/payments?cursor=now`, { onOpen: opened });
    await open;
    await closing.close();
    const { events, endedByServer } = await reading;
    expect(endedByServer).toBe(true);
    expect(events).toEqual([{ retry: '1000', event: 'open', data: '"hello"' }]);
  });

  it('keeps up with hundreds of payments a second to one client, reconnecting every 200', async () => {
    const busy = await startHorizonDouble();
    try {
      const payer = Keypair.random();
      const payee = Keypair.random();
      busy.createAccount(payer.publicKey(), '10000');
      busy.createAccount(payee.publicKey(), '1');
      const total = 500;
      const received: string[] = [];
      let cursor = 'now';
      let opened!: () => void;
      const open = new Promise<void>((resolve) => (opened = resolve));
      const client = (async () => {
        while (received.length < total) {
          const { events } = await readEvents(`${busy.url}/payments?limit=200&cursor=${cursor}`, {
            onOpen: opened,
            stopAfter: total - received.length,
          });
          for (const event of events) if (event.id) received.push(JSON.parse(event.data).amount);
          cursor = events.findLast((event) => event.id)?.id ?? cursor;
        }
      })();
      await open;
      // Payments are made as fast as the test can sign them (a few hundred a second here); the stream
      // keeps up if the client has them all shortly after the last one, with no backlog left.
      for (let i = 1; i <= total; i++) {
        busy.pay({ from: payer, to: payee.publicKey(), amount: (i / 10_000_000).toFixed(7) });
        if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const lastPaid = performance.now();
      await client;
      expect(received).toEqual(Array.from({ length: total }, (_, i) => ((i + 1) / 10_000_000).toFixed(7)));
      expect(performance.now() - lastPaid).toBeLessThan(1_000);
    } finally {
      await busy.close();
    }
  });
});

describe('test controls', () => {
  it('pays from a test keypair, opens trustlines and issues assets with real signed transactions', async () => {
    const issuer = fundedAccount();
    const holder = Keypair.random();
    double.createAccount(holder.publicKey(), '5');

    const { asset, transaction: issued } = double.issue({ issuer, to: holder, code: 'USDC', amount: '12.5' });

    expect(asset.getCode()).toBe('USDC');
    expect(issued.successful).toBe(true);
    expect(double.account(holder.publicKey())).toMatchObject({
      subentries: 1,
      trustlines: [{ code: 'USDC', issuer: issuer.publicKey(), balance: 125_000_000n }],
    });
    const friend = fundedAccount();
    double.trust({ account: friend, asset });
    double.pay({ from: holder, to: friend.publicKey(), amount: '2.5', asset, memo: Memo.id('7') });
    expect(double.account(friend.publicKey())?.trustlines[0]?.balance).toBe(25_000_000n);
    const last = double.payments().at(-1);
    expect(last).toMatchObject({
      type: 'payment',
      from: holder.publicKey(),
      to: friend.publicKey(),
      amount: 25_000_000n,
      asset: { type: 'credit_alphanum4', code: 'USDC', issuer: issuer.publicKey() },
    });
    expect(() => double.pay({ from: holder, to: Keypair.random().publicKey(), amount: '1' })).toThrow(
      expect.objectContaining({
        name: 'HorizonDoubleSubmissionError',
        resultCodes: { transaction: 'tx_failed', operations: ['op_no_destination'] },
      }) as HorizonDoubleSubmissionError,
    );
  });

  it('makes the next submissions fail before any ledger with a forced transaction code', async () => {
    const source = fundedAccount();
    const tx = await transaction(source, [
      Operation.payment({ destination: fundedAccount().publicKey(), asset: Asset.native(), amount: '1' }),
    ]);
    const before = double.account(source.publicKey());
    double.failNextWith('tx_bad_seq', 2);

    expect((await failure(server.submitTransaction(tx))).codes).toEqual({ transaction: 'tx_bad_seq' });
    expect(await failure(server.submitTransaction(tx))).toMatchObject({ xdr: { transaction: 'txBadSeq' } });
    expect(double.account(source.publicKey())).toEqual(before);
    await expect(server.submitTransaction(tx)).resolves.toMatchObject({ successful: true });
  });

  it('can let a transaction into a ledger as failed with a forced operation code, taking fee and sequence', async () => {
    const source = fundedAccount();
    const destination = fundedAccount();
    const before = double.account(source.publicKey())!;
    const tx = await transaction(source, [
      Operation.payment({ destination: destination.publicKey(), asset: Asset.native(), amount: '1' }),
    ]);
    double.failNextWith('op_underfunded');

    expect(await failure(server.submitTransaction(tx))).toEqual({
      codes: { transaction: 'tx_failed', operations: ['op_underfunded'] },
      xdr: { transaction: 'txFailed', operations: ['paymentUnderfunded'] },
    });
    expect(double.account(source.publicKey())).toMatchObject({
      balance: before.balance - 100n,
      sequence: before.sequence + 1n,
    });
    expect(double.account(destination.publicKey())?.balance).toBe(1_000_000_000n);
    const record = await server.transactions().transaction(tx.hash().toString('hex')).call();
    expect(record.successful).toBe(false);
  });
});

describe('surge pricing', () => {
  // A double of its own: a surge must not refuse other tests' transactions.
  let surging: HorizonDouble;
  let client: Horizon.Server;
  beforeAll(async () => {
    surging = await startHorizonDouble();
    client = new Horizon.Server(surging.url, { allowHttp: true });
  });
  afterAll(async () => {
    await surging.close();
  });

  /** `operations` payments of 1 XLM between two fresh accounts, offering `fee` stroops per operation (the SDK's `fee`). */
  async function paymentOffering(fee: string, operations = 1) {
    const source = Keypair.random();
    surging.createAccount(source.publicKey(), '100');
    const destination = Keypair.random().publicKey();
    surging.createAccount(destination, '10');
    const account = await client.loadAccount(source.publicKey());
    const builder = new TransactionBuilder(new Account(source.publicKey(), account.sequence), {
      fee,
      networkPassphrase: surging.passphrase,
    });
    for (let i = 0; i < operations; i++)
      builder.addOperation(Operation.payment({ destination, asset: Asset.native(), amount: '1' }));
    const tx = builder.setTimeout(60).build();
    tx.sign(source);
    return { tx, source: source.publicKey() };
  }

  const PERCENTILES = ['p10', 'p20', 'p30', 'p40', 'p50', 'p60', 'p70', 'p80', 'p90', 'p95', 'p99'];

  it('reports an idle network in fee_stats: every field as Horizon prints it, all at the base fee', async () => {
    const stats = await client.feeStats();
    expect(stats).toMatchObject({
      last_ledger: String(surging.latestLedger()),
      last_ledger_base_fee: '100',
      ledger_capacity_usage: '0.00',
    });
    for (const distribution of [stats.fee_charged, stats.max_fee])
      for (const key of ['max', 'min', 'mode', ...PERCENTILES])
        expect(distribution[key as keyof typeof distribution], key).toBe('100');
  });

  describe('while ledgers are full', () => {
    beforeAll(() => surging.setSurge({ minFeePerOperation: 1_000n }));
    afterAll(() => surging.setSurge(null));

    it('refuses a lower bid with 400 tx_insufficient_fee, naming the fee it needed, and changes nothing', async () => {
      const { tx, source } = await paymentOffering('999', 2);
      const before = surging.account(source);
      const refused = (await client.submitTransaction(tx).then(
        () => {
          throw new Error('expected the submission to be refused');
        },
        (caught: unknown) => caught,
      )) as { response: { status: number; data: { extras: { result_codes: unknown; result_xdr: string } } } };
      expect(refused.response.status).toBe(400);
      expect(refused.response.data.extras.result_codes).toEqual({ transaction: 'tx_insufficient_fee' });
      const result = xdr.TransactionResult.fromXDR(refused.response.data.extras.result_xdr, 'base64');
      expect(result.feeCharged().toString()).toBe('2000');
      expect(surging.account(source)).toEqual(before);
    });

    it('takes a bid at or above the clearing price and charges the clearing price, not the bid', async () => {
      const { tx, source } = await paymentOffering('1500');
      const before = surging.account(source)!.balance;
      const landed = await client.submitTransaction(tx);
      expect(landed.successful).toBe(true);
      expect(surging.account(source)!.balance).toBe(before - ONE_XLM - 1_000n);
      const record = await client.transactions().transaction(landed.hash).call();
      expect(record).toMatchObject({ fee_charged: '1000', max_fee: '1500' });
    });

    it('shows full ledgers in fee_stats, charged at the clearing price, the base fee unchanged', async () => {
      const stats = await client.feeStats();
      expect(stats).toMatchObject({ last_ledger_base_fee: '100', ledger_capacity_usage: '1.00' });
      for (const key of ['max', 'min', 'mode', ...PERCENTILES])
        expect(stats.fee_charged[key as keyof typeof stats.fee_charged], key).toBe('1000');
    });

    it('lets test helpers bid enough', () => {
      expect(fundedAccountOn(surging).feeCharged).toBe(1_000n);
    });
  });

  it('shows the charged fees a test asks for, each unset key repeating the nearest one below', async () => {
    surging.setSurge({ minFeePerOperation: 1_000n, feeCharged: { p50: 1_200n, p90: 2_000n, max: 9_000n } });
    try {
      const { fee_charged: charged } = await client.feeStats();
      expect(charged).toMatchObject({ min: '1200', p10: '1200', p50: '1200', mode: '1200', p80: '1200' });
      expect(charged).toMatchObject({ p90: '2000', p95: '2000', p99: '2000', max: '9000' });
    } finally {
      surging.setSurge(null);
    }
  });

  it('accepts the very envelope it refused once the surge has passed, charging the base fee', async () => {
    const { tx, source } = await paymentOffering('500');
    const before = surging.account(source)!.balance;
    surging.setSurge({ minFeePerOperation: 1_000n });
    try {
      expect((await rejection(client.submitTransaction(tx))).codes).toEqual({
        transaction: 'tx_insufficient_fee',
      });
    } finally {
      surging.setSurge(null);
    }
    await expect(client.submitTransaction(tx)).resolves.toMatchObject({ successful: true });
    expect(surging.account(source)!.balance).toBe(before - ONE_XLM - 100n);
  });
});

/** Creates an account on `target` through a real transaction and returns that transaction. */
function fundedAccountOn(target: HorizonDouble) {
  return target.createAccount(Keypair.random().publicKey(), '5');
}
