/**
 * A Horizon double: an HTTP server on 127.0.0.1 that speaks enough of Horizon's API for the
 * SDK's `Horizon.Server` (with `allowHttp: true`) and the platform's adapter, backed by a real
 * ledger model (`./horizon/ledger.ts`) that decodes envelopes with the SDK and checks time bounds,
 * fees, sequence numbers, signatures, reserves and trustlines before it applies anything.
 *
 * Fees: the base fee (100 stroops per operation) by default; `setSurge` simulates surge pricing,
 * with `/fee_stats` reporting it and low bids refused with `tx_insufficient_fee` like stellar-core.
 *
 * Ledgers: by default each included transaction closes its own ledger at once (`ledgerClose:
 * 'per-transaction'`); `'manual'` keeps submissions waiting until the test calls `closeLedger()`,
 * and `{ everyMs }` closes a ledger on a timer, so one ledger can hold several transactions. Test
 * helpers (`createAccount`, `pay`, `trust`, `issue`, `submit`) close a ledger at once in every mode.
 *
 * Served: `GET /`, `/accounts/:id` (data entries base64, for SEP-29), `/fee_stats`, `/ledgers`,
 * `/ledgers/:sequence`, `/friendbot?addr=`, `/transactions/:hash`, `POST /transactions` (form field
 * `tx`), and the payments lists `/payments`, `/accounts/:id/payments`, `/ledgers/:seq/payments`,
 * `/transactions/:hash/payments` with `cursor` (also `now`), `order`, `limit`, `include_failed` and
 * `join=transactions`, as JSON pages with HAL links or, with `Accept: text/event-stream`, as
 * Horizon's Server-Sent Events (at most `limit` records per connection, then `event: close`).
 * Payment records are `create_account` and `payment` operations, ids and paging tokens are TOIDs.
 *
 * Not modelled: fee bumps, offers, path payments, merges, set options and other operation types,
 * sponsorship, liabilities, authorization flags, preconditions other than time bounds, `/operations`,
 * `/effects`, lists of transactions, and streaming of anything but payments (answered 406). Data
 * entries exist only through `setAccountData`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StrKey, type Asset, type Keypair } from '@stellar/stellar-sdk';
import { parseStellarAmount } from '../../core/domain/amounts.ts';
import {
  HorizonLedger,
  type LedgerOptions,
  type SubmissionResult,
  type SurgePricing,
  type TransactionEntry,
} from './horizon/ledger.ts';
import { issue, pay, trust, type PaymentOptions } from './horizon/outside-wallet.ts';
import { isProblem, parseOperationsQuery, type OperationsQuery } from './horizon/paging.ts';
import type { IndexedPayment, PaymentRecord, PaymentScope } from './horizon/payments.ts';
import {
  accountResource,
  feeStatsResource,
  ledgerResource,
  page,
  pagedRecords,
  paymentResource,
  problems,
  rootResource,
  transactionResource,
  type Problem,
} from './horizon/resources.ts';
import type { InjectableCode } from './horizon/results.ts';
import { PageStream, streamError } from './horizon/sse.ts';

export {
  FRIENDBOT_STARTING_BALANCE,
  type FeeStatKey,
  type SubmissionResult,
  type SurgePricing,
  type TransactionEntry,
} from './horizon/ledger.ts';
export { HorizonDoubleSubmissionError, type PaymentOptions } from './horizon/outside-wallet.ts';
export type {
  AssetRef,
  CreateAccountRecord,
  PaymentOperationRecord,
  PaymentRecord,
} from './horizon/payments.ts';
export type { InjectableCode, ResultCodes } from './horizon/results.ts';

/** The passphrase of stellar-core's standalone network (the quickstart image uses it too). */
export const STANDALONE_PASSPHRASE = 'Standalone Network ; February 2017';

/** When ledgers close: see the file comment. */
export type LedgerCloseMode = 'per-transaction' | 'manual' | { everyMs: number };

/** Options of {@link startHorizonDouble}; every field has a default. */
export type HorizonDoubleOptions = Partial<LedgerOptions> & { ledgerClose?: LedgerCloseMode };

/** A fault the next `POST /transactions` meets instead of a normal answer. */
export interface SubmissionFault {
  /** Apply the transaction before failing: the client cannot tell it landed (the ambiguous case). */
  apply?: boolean;
}

/** A copy of an account's state, amounts in stroops. */
export interface AccountSnapshot {
  id: string;
  balance: bigint;
  sequence: bigint;
  subentries: number;
  trustlines: { code: string; issuer: string; balance: bigint; limit: bigint }[];
}

/** One request the double received. */
export interface RecordedRequest {
  method: string;
  path: string;
}

/** A running Horizon double and the handles a test drives it with. */
export interface HorizonDouble {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Friendbot's URL (`${url}/friendbot`); append `?addr=`. */
  readonly friendbotUrl: string;
  readonly passphrase: string;
  /** Stroops per operation. */
  readonly baseFee: bigint;
  /** Stroops per reserve unit. */
  readonly baseReserve: bigint;
  /** Creates (or tops up) `address` with `xlm` lumens from the root account, through a real transaction. */
  createAccount(address: string, xlm: string): TransactionEntry;
  /**
   * Pays from a keypair the test holds (an outside wallet): builds, signs and submits a one-payment
   * transaction and closes its ledger. Throws {@link HorizonDoubleSubmissionError} unless it succeeded.
   */
  pay(options: PaymentOptions): TransactionEntry;
  /** Opens (or, with `limit: '0'`, removes) a trustline of `account` with its own signed changeTrust. */
  trust(options: { account: Keypair; asset: Asset; limit?: string }): TransactionEntry;
  /**
   * Issues `amount` of `code` from `issuer` (which must exist) to `to`; a keypair without a
   * trustline gets one first, an address must already trust the asset.
   */
  issue(options: {
    issuer: Keypair;
    to: Keypair | string;
    code: string;
    amount: string;
    memo?: PaymentOptions['memo'];
  }): { asset: Asset; transaction: TransactionEntry };
  /** Submits a signed envelope (base64 XDR) as `POST /transactions` would, without HTTP or faults, and closes its ledger. */
  submit(envelopeXdr: string): SubmissionResult;
  /** A snapshot of the account, or `undefined` if it does not exist. */
  account(address: string): AccountSnapshot | undefined;
  /**
   * Sets (or, with `null`, removes) a data entry of an existing account; `value` is raw text, served
   * base64-encoded as Horizon does. `setAccountData(a, 'config.memo_required', '1')` makes `a`
   * require a memo (SEP-29).
   */
  setAccountData(address: string, name: string, value: string | null): void;
  /** Every transaction of a closed ledger (successful or failed), oldest first. */
  transactions(): TransactionEntry[];
  /** Every payment record (`create_account`, `payment`) of the closed ledgers, failed ones included, by id. */
  payments(): PaymentRecord[];
  /** Every HTTP request received, oldest first. */
  requests(): RecordedRequest[];
  /** Sequence number of the last closed ledger. */
  latestLedger(): number;
  /** Closes the open ledger with whatever was submitted since the last close; returns its sequence number. */
  closeLedger(): number;
  /** Moves the ledger clock forward (time bounds expire without waiting). */
  advanceTime(seconds: number): void;
  /**
   * Simulates surge pricing until called with `null`: an envelope offering less than
   * `minFeePerOperation` per operation is answered 400 `tx_insufficient_fee` (nothing changes), an
   * accepted one is charged that per operation, and `/fee_stats` shows full ledgers and what they
   * charged (see {@link SurgePricing}). Test helpers (`createAccount`, `pay`, ...) bid enough.
   */
  setSurge(surge: SurgePricing | null): void;
  /** The lowest fee per operation the network accepts now. */
  minFeePerOperation(): bigint;
  /** The next submission gets this HTTP status (e.g. 504) with Horizon's problem body. */
  failNext(fault: SubmissionFault & { status: number }): void;
  /**
   * The next submission gets no answer: the request is held for `holdMs` (default: until the client
   * gives up or the double closes) and then its connection is dropped.
   */
  timeoutNext(fault?: SubmissionFault & { holdMs?: number }): void;
  /**
   * The next `count` submissions (default 1) of a new envelope get `code` instead of their own
   * result: a `tx_…` code refuses them before any ledger (nothing changes), an `op_…` code puts them
   * in a ledger as failed (fee and sequence number taken) with that code on the first operation
   * that can have it. Faults (this and `failNext`/`timeoutNext`) are used one per submission, in
   * the order given; a resubmitted envelope that is already in a ledger uses one up and keeps its
   * stored result.
   */
  failNextWith(code: InjectableCode, count?: number): void;
  /** How many Server-Sent Events connections are open. */
  openStreams(): number;
  /** Stops the server: open streams are ended, held requests and other connections dropped. */
  close(): Promise<void>;
}

type Fault =
  | { kind: 'status'; status: number; apply: boolean }
  | { kind: 'hang'; apply: boolean; holdMs?: number }
  | { kind: 'result'; code: InjectableCode };

/** Starts a Horizon double on 127.0.0.1 with an ephemeral port. */
export async function startHorizonDouble(options: HorizonDoubleOptions = {}): Promise<HorizonDouble> {
  const { ledgerClose = 'per-transaction', ...ledgerOptions } = options;
  const ledger = new HorizonLedger({
    ...ledgerOptions,
    passphrase: ledgerOptions.passphrase ?? STANDALONE_PASSPHRASE,
  });
  const faults: Fault[] = [];
  const held = new Set<ServerResponse>();
  const streams = new Set<PageStream>();
  // Submissions waiting for their ledger to close, by transaction hash.
  const waiting = new Map<string, (() => void)[]>();
  const received: RecordedRequest[] = [];
  let closing = false;
  let base = '';

  ledger.subscribe((_header, transactions) => {
    for (const tx of transactions) {
      for (const wake of waiting.get(tx.hash) ?? []) wake();
      waiting.delete(tx.hash);
    }
    for (const stream of streams) stream.pump();
  });
  const timer =
    typeof ledgerClose === 'object'
      ? setInterval(() => ledger.closeLedger(), ledgerClose.everyMs)
      : undefined;

  /** Resolves true once `hash` is in a closed ledger, false if the double closes first. */
  const closed = (hash: string): Promise<boolean> => {
    if (!ledger.isPending(hash)) return Promise.resolve(true);
    if (ledgerClose === 'per-transaction') {
      ledger.closeLedger();
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const list = waiting.get(hash) ?? [];
      list.push(() => resolve(!closing));
      waiting.set(hash, list);
    });
  };

  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/hal+json') => {
    res.writeHead(status, { 'Content-Type': `${type}; charset=utf-8` });
    res.end(JSON.stringify(body));
  };
  const sendProblem = (res: ServerResponse, problem: Problem) =>
    send(res, problem.status, problem.body, 'application/problem+json');

  const answerSubmission = async (res: ServerResponse, result: SubmissionResult) => {
    if (result.status === 'malformed')
      return sendProblem(res, problems.transactionMalformed(result.envelopeXdr));
    if (result.status === 'rejected') {
      return sendProblem(
        res,
        problems.transactionFailed(result.envelopeXdr, result.resultXdr, result.resultCodes),
      );
    }
    // Horizon answers a submission once its ledger has closed.
    if (!(await closed(result.transaction.hash))) return;
    const tx = result.transaction;
    // A transaction that failed inside a ledger is reported the same way; its fee is gone.
    if (!tx.successful)
      return sendProblem(res, problems.transactionFailed(tx.envelopeXdr, tx.resultXdr, tx.resultCodes));
    send(res, 200, transactionResource(base, tx));
  };

  const submit = async (req: IncomingMessage, res: ServerResponse) => {
    const form = new URLSearchParams(await readBody(req));
    const envelope = form.get('tx');
    if (!envelope) {
      sendProblem(
        res,
        problems.badRequest('The request you sent was invalid in some way.', { invalid_field: 'tx' }),
      );
      return;
    }
    const fault = faults.shift();
    if (fault?.kind === 'result')
      return answerSubmission(res, ledger.submit(envelope, { force: fault.code }));
    if (fault) {
      if (fault.apply) {
        const applied = ledger.submit(envelope);
        if (applied.status === 'included' && ledgerClose === 'per-transaction')
          void closed(applied.transaction.hash);
      }
      if (fault.kind === 'status') sendProblem(res, problems.forStatus(fault.status));
      else hold(res, fault.holdMs);
      return;
    }
    return answerSubmission(res, ledger.submit(envelope));
  };

  const hold = (res: ServerResponse, holdMs: number | undefined) => {
    held.add(res);
    const timer = holdMs === undefined ? undefined : setTimeout(() => res.socket?.destroy(), holdMs);
    res.on('close', () => {
      clearTimeout(timer);
      held.delete(res);
    });
  };

  /** The records a payments path lists, or the problem Horizon answers for an unknown or invalid one. */
  const paymentScope = (segments: string[]): PaymentScope | Problem => {
    if (segments.length === 1) return { kind: 'all' };
    const [collection, id] = segments as [string, string];
    if (collection === 'accounts') {
      if (!StrKey.isValidEd25519PublicKey(id)) return problems.invalidField('account_id', 'invalid address');
      // Horizon knows an account once it has taken part in something; others are 404.
      if (!ledger.account(id) && !ledger.payments.knows(id)) return problems.notFound();
      return { kind: 'account', account: id };
    }
    if (collection === 'ledgers') {
      if (!/^\d+$/.test(id) || Number(id) > 2 ** 31 - 1) {
        return problems.invalidField(
          'ledger_id',
          `invalid ledger_id: strconv.ParseInt: parsing "${id}": invalid syntax`,
        );
      }
      // Ledgers are kept from genesis on, without gaps.
      const sequence = Number(id);
      if (sequence < ledger.history()[0]!.sequence || sequence > ledger.latest.sequence)
        return problems.notFound();
      return { kind: 'ledger', ledger: sequence };
    }
    if (!/^[0-9a-f]{64}$/i.test(id)) {
      return problems.invalidField('tx_id', 'Transaction hash must be a hex-encoded, lowercase SHA-256 hash');
    }
    if (!ledger.transaction(id)) return problems.notFound();
    return { kind: 'transaction', hash: id.toLowerCase() };
  };

  const json = (entry: IndexedPayment, join: boolean) =>
    join
      ? JSON.stringify(paymentResource(base, entry, true))
      : (entry.json ??= JSON.stringify(paymentResource(base, entry)));

  const paymentsList = (req: IncomingMessage, res: ServerResponse, url: URL, segments: string[]) => {
    const lastEventId = headerValue(req.headers['last-event-id']);
    const history = { latest: ledger.latest.sequence, elder: ledger.history()[0]!.sequence };
    const query = parseOperationsQuery(url, lastEventId || undefined, history);
    if (isProblem(query)) return sendProblem(res, query);
    const scope = paymentScope(segments);
    const streaming = wantsEventStream(req);
    if (isProblem(scope)) {
      // Horizon finds these while generating events, so a stream reports them inside the stream.
      if (streaming) return streamError(res, `problem: ${String(scope.body.type).split('/').pop()}`);
      return sendProblem(res, scope);
    }
    // Operations of one transaction come whatever its outcome: the caller asked for that transaction.
    const includeFailed = query.includeFailed || scope.kind === 'transaction';
    const fetch = (position: bigint, limit: number) =>
      ledger.payments.page(scope, { cursor: position, order: query.order, limit, includeFailed });
    if (streaming)
      return stream(res, query, (after, max) =>
        fetch(BigInt(after), max).map((entry) => ({ id: entry.record.id, data: json(entry, query.join) })),
      );
    const records = fetch(query.position, query.limit).map((entry) =>
      paymentResource(base, entry, query.join),
    );
    return send(res, 200, pagedRecords(base, query, records));
  };

  const stream = (
    res: ServerResponse,
    query: OperationsQuery,
    fetch: ConstructorParameters<typeof PageStream>[3],
  ) => {
    if (closing) return sendProblem(res, problems.forStatus(503));
    const opened = new PageStream(res, query.position.toString(), query.limit, fetch, (ended) =>
      streams.delete(ended),
    );
    streams.add(opened);
    opened.start();
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    received.push({ method, path: `${path}${url.search}` });
    const segments = path.split('/').filter(Boolean);

    if (method === 'POST' && path === '/transactions') return submit(req, res);
    if (method !== 'GET') return sendProblem(res, problems.notFound());
    if (segments.at(-1) === 'payments' && (segments.length === 1 || segments.length === 3)) {
      if (segments.length === 1 || ['accounts', 'ledgers', 'transactions'].includes(segments[0]!)) {
        return paymentsList(req, res, url, segments);
      }
    }
    if (wantsEventStream(req)) return sendProblem(res, problems.notAcceptable());

    if (path === '/')
      return send(
        res,
        200,
        rootResource(base, ledger.passphrase, ledger.latest, ledger.history()[0]!.sequence),
      );
    if (path === '/fee_stats')
      return send(res, 200, feeStatsResource(ledger.latest, ledger.baseFee, ledger.surge));
    if (path === '/friendbot') return friendbot(url.searchParams.get('addr') ?? '', res);
    if (segments[0] === 'accounts' && segments.length === 2) {
      const id = segments[1]!;
      if (!StrKey.isValidEd25519PublicKey(id)) {
        return sendProblem(
          res,
          problems.badRequest('The request you sent was invalid in some way.', {
            invalid_field: 'account_id',
            reason: 'Account ID must start with `G` and contain 56 alphanum characters',
          }),
        );
      }
      const account = ledger.account(id);
      if (!account) return sendProblem(res, problems.notFound());
      return send(res, 200, accountResource(base, account, ledger.latest.closedAt));
    }
    if (segments[0] === 'transactions' && segments.length === 2) {
      const tx = ledger.transaction(segments[1]!);
      if (!tx) return sendProblem(res, problems.notFound());
      return send(res, 200, transactionResource(base, tx));
    }
    if (path === '/ledgers')
      return send(res, 200, page(base, `${path}${url.search}`, ledgers(url.searchParams)));
    if (segments[0] === 'ledgers' && segments.length === 2) {
      const header = ledger.history().find((entry) => String(entry.sequence) === segments[1]);
      if (!header) return sendProblem(res, problems.notFound());
      return send(res, 200, ledgerResource(base, header, ledger.baseFee, ledger.baseReserve));
    }
    return sendProblem(res, problems.notFound());
  };

  const ledgers = (query: URLSearchParams) => {
    const order = query.get('order') === 'desc' ? 'desc' : 'asc';
    const limit = Math.min(Math.max(Number(query.get('limit') ?? 10) || 10, 1), 200);
    const cursor = query.get('cursor');
    // A paging token is the ledger sequence shifted left by 32 bits; anything else starts at the edge.
    const after = cursor && /^\d+$/.test(cursor) ? Number(BigInt(cursor) >> 32n) : undefined;
    let list = [...ledger.history()];
    if (order === 'desc') list.reverse();
    if (after !== undefined)
      list = list.filter((entry) => (order === 'asc' ? entry.sequence > after : entry.sequence < after));
    if (cursor === 'now') list = [];
    return list
      .slice(0, limit)
      .map((entry) => ledgerResource(base, entry, ledger.baseFee, ledger.baseReserve));
  };

  const friendbot = (address: string, res: ServerResponse) => {
    const result = ledger.friendbot(address);
    switch (result.status) {
      case 'funded':
        return send(res, 200, transactionResource(base, result.transaction));
      case 'already_funded':
        return sendProblem(res, problems.badRequest('account already funded to starting balance'));
      case 'invalid_address':
        return sendProblem(
          res,
          problems.badRequest('The request you sent was invalid in some way.', {
            invalid_field: 'addr',
            reason: 'base32 decode failed',
          }),
        );
      case 'failed':
        return sendProblem(res, problems.forStatus(500));
    }
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      // A bug in the double must fail loudly in the test that hit it, not hang it.
      console.error('horizon double:', error);
      if (!res.headersSent) sendProblem(res, problems.forStatus(500));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    friendbotUrl: `${base}/friendbot`,
    passphrase: ledger.passphrase,
    baseFee: ledger.baseFee,
    baseReserve: ledger.baseReserve,
    createAccount(address, xlm) {
      const result = ledger.fund(address, parseStellarAmount(xlm));
      if (result.status === 'included' && result.transaction.successful) return result.transaction;
      const codes =
        result.status === 'malformed'
          ? result.detail
          : JSON.stringify(
              result.status === 'included' ? result.transaction.resultCodes : result.resultCodes,
            );
      throw new Error(`horizon double could not fund ${address}: ${codes}`);
    },
    pay: (paymentOptions) => pay(ledger, paymentOptions),
    trust: (trustOptions) => trust(ledger, trustOptions),
    issue: (issueOptions) => issue(ledger, issueOptions),
    submit: (envelopeXdr) => ledger.submitAndClose(envelopeXdr),
    account(address) {
      const entry = ledger.account(address);
      if (!entry) return undefined;
      return {
        id: entry.id,
        balance: entry.balance,
        sequence: entry.sequence,
        subentries: entry.subentries,
        trustlines: [...entry.trustlines.values()].map(({ code, issuer, balance, limit }) => ({
          code,
          issuer,
          balance,
          limit,
        })),
      };
    },
    setAccountData(address, name, value) {
      if (!ledger.setData(address, name, value)) throw new Error(`horizon double has no account ${address}`);
    },
    transactions: () => ledger.transactions(),
    payments: () => ledger.payments.records().map((entry) => entry.record),
    requests: () => [...received],
    latestLedger: () => ledger.latest.sequence,
    closeLedger: () => ledger.closeLedger().sequence,
    advanceTime: (seconds) => ledger.advanceTime(seconds),
    setSurge: (surge) => ledger.setSurge(surge),
    minFeePerOperation: () => ledger.minFeePerOperation(),
    failNext: ({ status, apply = false }) => void faults.push({ kind: 'status', status, apply }),
    timeoutNext: ({ apply = false, holdMs } = {}) => void faults.push({ kind: 'hang', apply, holdMs }),
    failNextWith: (code, count = 1) => {
      for (let i = 0; i < count; i++) faults.push({ kind: 'result', code });
    },
    openStreams: () => streams.size,
    async close() {
      closing = true;
      clearInterval(timer);
      // Streams end with a proper last chunk; submissions still waiting for a ledger get no answer.
      const ended = Promise.all([...streams].map((stream) => stream.end()));
      for (const wakers of waiting.values()) for (const wake of wakers) wake();
      waiting.clear();
      for (const res of held) res.socket?.destroy();
      await ended;
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function wantsEventStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
