/**
 * A Horizon double: an HTTP server on 127.0.0.1 that speaks enough of Horizon's API for the
 * SDK's `Horizon.Server` (with `allowHttp: true`) and the platform's adapter, backed by a real
 * ledger model (`./horizon/ledger.ts`) that checks sequence numbers, signatures, fees, reserves and
 * trustlines before it applies anything. Each included transaction closes its own ledger at once.
 *
 * Served: `GET /`, `/accounts/:id`, `/fee_stats`, `/ledgers`, `/ledgers/:sequence`,
 * `/friendbot?addr=`, `/transactions/:hash`, and `POST /transactions` (form field `tx`).
 * Not modelled: fee bumps, offers, set options and other operation types, sponsorship, liabilities,
 * authorization flags, preconditions other than time bounds, streaming (SSE), paging of
 * transactions and operations. Data entries exist only through `setAccountData`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StrKey } from '@stellar/stellar-sdk';
import { parseStellarAmount } from '../../core/domain/amounts.ts';
import { HorizonLedger, type LedgerOptions, type TransactionEntry } from './horizon/ledger.ts';
import {
  accountResource,
  feeStatsResource,
  ledgerResource,
  page,
  problems,
  rootResource,
  transactionResource,
  type Problem,
} from './horizon/resources.ts';

export { FRIENDBOT_STARTING_BALANCE, type TransactionEntry } from './horizon/ledger.ts';

/** The passphrase of stellar-core's standalone network (the quickstart image uses it too). */
export const STANDALONE_PASSPHRASE = 'Standalone Network ; February 2017';

/** Options of {@link startHorizonDouble}; every field has a default. */
export type HorizonDoubleOptions = Partial<LedgerOptions>;

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
  /** A snapshot of the account, or `undefined` if it does not exist. */
  account(address: string): AccountSnapshot | undefined;
  /**
   * Sets (or, with `null`, removes) a data entry of an existing account; `value` is raw text, served
   * base64-encoded as Horizon does. `setAccountData(a, 'config.memo_required', '1')` makes `a`
   * require a memo (SEP-29).
   */
  setAccountData(address: string, name: string, value: string | null): void;
  /** Every transaction included in a ledger (successful or failed), oldest first. */
  transactions(): TransactionEntry[];
  /** Every HTTP request received, oldest first. */
  requests(): RecordedRequest[];
  /** Sequence number of the last closed ledger. */
  latestLedger(): number;
  /** Closes a ledger with no transactions; returns its sequence number. */
  closeLedger(): number;
  /** Moves the ledger clock forward (time bounds expire without waiting). */
  advanceTime(seconds: number): void;
  /** The next submission gets this HTTP status (e.g. 504) with Horizon's problem body. */
  failNext(fault: SubmissionFault & { status: number }): void;
  /**
   * The next submission gets no answer: the request is held for `holdMs` (default: until the client
   * gives up or the double closes) and then its connection is dropped.
   */
  timeoutNext(fault?: SubmissionFault & { holdMs?: number }): void;
  /** Stops the server and drops every open connection. */
  close(): Promise<void>;
}

type Fault =
  { kind: 'status'; status: number; apply: boolean } | { kind: 'hang'; apply: boolean; holdMs?: number };

/** Starts a Horizon double on 127.0.0.1 with an ephemeral port. */
export async function startHorizonDouble(options: HorizonDoubleOptions = {}): Promise<HorizonDouble> {
  const ledger = new HorizonLedger({ ...options, passphrase: options.passphrase ?? STANDALONE_PASSPHRASE });
  const faults: Fault[] = [];
  const held = new Set<ServerResponse>();
  const received: RecordedRequest[] = [];
  let base = '';

  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/hal+json') => {
    res.writeHead(status, { 'Content-Type': `${type}; charset=utf-8` });
    res.end(JSON.stringify(body));
  };
  const sendProblem = (res: ServerResponse, problem: Problem) =>
    send(res, problem.status, problem.body, 'application/problem+json');

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
    if (fault) {
      if (fault.apply) ledger.submit(envelope);
      if (fault.kind === 'status') {
        sendProblem(res, problems.forStatus(fault.status));
      } else {
        hold(res, fault.holdMs);
      }
      return;
    }
    const result = ledger.submit(envelope);
    if (result.status === 'malformed') {
      sendProblem(res, problems.transactionMalformed(envelope));
    } else if (result.status === 'rejected') {
      sendProblem(res, problems.transactionFailed(envelope, result.resultXdr, result.resultCodes));
    } else if (!result.transaction.successful) {
      // A transaction that failed inside a ledger is reported the same way; its fee is gone.
      const tx = result.transaction;
      sendProblem(res, problems.transactionFailed(tx.envelopeXdr, tx.resultXdr, tx.resultCodes));
    } else {
      send(res, 200, transactionResource(base, result.transaction));
    }
  };

  const hold = (res: ServerResponse, holdMs: number | undefined) => {
    held.add(res);
    const timer = holdMs === undefined ? undefined : setTimeout(() => res.socket?.destroy(), holdMs);
    res.on('close', () => {
      clearTimeout(timer);
      held.delete(res);
    });
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const method = req.method ?? 'GET';
    received.push({ method, path: `${path}${url.search}` });
    const segments = path.split('/').filter(Boolean);

    if (method === 'POST' && path === '/transactions') return submit(req, res);
    if (method !== 'GET') return sendProblem(res, problems.notFound());

    if (path === '/')
      return send(
        res,
        200,
        rootResource(base, ledger.passphrase, ledger.latest, ledger.history()[0]!.sequence),
      );
    if (path === '/fee_stats') return send(res, 200, feeStatsResource(ledger.latest, ledger.baseFee));
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
    requests: () => [...received],
    latestLedger: () => ledger.latest.sequence,
    closeLedger: () => ledger.closeEmptyLedger().sequence,
    advanceTime: (seconds) => ledger.advanceTime(seconds),
    failNext: ({ status, apply = false }) => void faults.push({ kind: 'status', status, apply }),
    timeoutNext: ({ apply = false, holdMs } = {}) => void faults.push({ kind: 'hang', apply, holdMs }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of held) res.socket?.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
