/**
 * Horizon's JSON: the resources the double serves and its problem documents (RFC 7807), shaped
 * like Horizon's own so the SDK parses them the same way, `_links` included (the SDK turns linked
 * fields such as a transaction's `ledger` into functions and keeps the value in `ledger_attr`).
 */
import { formatStroopsFixed } from '../../../core/domain/amounts.ts';
import type { FeeStatKey, LedgerHeader, SurgePricing, TransactionEntry } from './ledger.ts';
import type { AssetRef, IndexedPayment } from './payments.ts';
import type { ResultCodes } from './results.ts';
import type { AccountEntry } from './state.ts';

/** A problem document: status and JSON body. */
export interface Problem {
  status: number;
  body: Record<string, unknown>;
}

const ERRORS = 'https://stellar.org/horizon-errors';

export const problems = {
  notFound: (): Problem => ({
    status: 404,
    body: {
      type: `${ERRORS}/not_found`,
      title: 'Resource Missing',
      status: 404,
      detail:
        'The resource at the url requested was not found.  This usually occurs for one of two reasons:  The url requested is not valid, or no data in our database could be found with the parameters provided.',
    },
  }),
  badRequest: (detail: string, extras?: Record<string, unknown>): Problem => ({
    status: 400,
    body: {
      type: `${ERRORS}/bad_request`,
      title: 'Bad Request',
      status: 400,
      detail,
      ...(extras ? { extras } : {}),
    },
  }),
  /** Horizon's `MakeInvalidFieldProblem`: a query or path parameter it cannot use. */
  invalidField: (field: string, reason: string): Problem =>
    problems.badRequest('The request you sent was invalid in some way.', { invalid_field: field, reason }),
  notAcceptable: (): Problem => ({
    status: 406,
    body: {
      type: `${ERRORS}/not_acceptable`,
      title: 'An acceptable response content-type could not be provided for this request',
      status: 406,
      detail:
        'The Accept header you sent could not be satisfied. Horizon can answer this resource as application/hal+json or application/json.',
    },
  }),
  /** A descending page that starts before the oldest ledger Horizon holds. */
  beforeHistory: (): Problem => ({
    status: 410,
    body: {
      type: `${ERRORS}/before_history`,
      title: 'Data Requested Is Before Recorded History',
      status: 410,
      detail:
        "This horizon instance is configured to only track a portion of the stellar network's latest history. This request is asking for results prior to the recorded history known to this horizon instance.",
    },
  }),
  transactionFailed: (envelopeXdr: string, resultXdr: string, resultCodes: ResultCodes): Problem => ({
    status: 400,
    body: {
      type: `${ERRORS}/transaction_failed`,
      title: 'Transaction Failed',
      status: 400,
      detail:
        'The transaction failed when submitted to the stellar network. The `extras.result_codes` field on this response contains further details.  Descriptions of each code can be found at: https://developers.stellar.org/api/errors/http-status-codes/horizon-specific/transaction-failed/',
      extras: { envelope_xdr: envelopeXdr, result_codes: resultCodes, result_xdr: resultXdr },
    },
  }),
  transactionMalformed: (envelopeXdr: string): Problem => ({
    status: 400,
    body: {
      type: `${ERRORS}/transaction_malformed`,
      title: 'Transaction Malformed',
      status: 400,
      detail:
        'Horizon could not decode the transaction envelope in this request. A transaction should be an XDR TransactionEnvelope struct encoded using base64.  The envelope read from this request is echoed in the `extras.envelope_xdr` field of this response for your convenience.',
      extras: { envelope_xdr: envelopeXdr },
    },
  }),
  /** A status Horizon (or a proxy in front of it) answers with when it is overloaded or broken. */
  forStatus: (status: number): Problem => {
    const known: Record<number, [string, string, string]> = {
      429: [
        'rate_limit_exceeded',
        'Rate Limit Exceeded',
        'The rate limit for the requesting IP address is over its alloted limit.',
      ],
      500: ['server_error', 'Internal Server Error', 'An error occurred while processing this request.'],
      503: [
        'service_unavailable',
        'Service Unavailable',
        'The server is currently unable to handle the request.',
      ],
      504: [
        'timeout',
        'Timeout',
        'Your request timed out before completing.  Please try your request again. If you are submitting a transaction make sure you are sending exactly the same transaction (with the same sequence number).',
      ],
    };
    const [slug, title, detail] = known[status] ?? ['server_error', 'Error', `Injected status ${status}.`];
    return { status, body: { type: `${ERRORS}/${slug}`, title, status, detail } };
  },
};

function link(base: string, path: string, templated = false) {
  return templated ? { href: `${base}${path}`, templated: true } : { href: `${base}${path}` };
}

/** `GET /accounts/:id`: balances list trustlines first and lumens last, as Horizon does. */
export function accountResource(base: string, account: AccountEntry, closedAt: Date) {
  const self = `/accounts/${account.id}`;
  const lines = [...account.trustlines.values()].map((line) => ({
    balance: formatStroopsFixed(line.balance),
    limit: formatStroopsFixed(line.limit),
    buying_liabilities: '0.0000000',
    selling_liabilities: '0.0000000',
    last_modified_ledger: line.lastModifiedLedger,
    is_authorized: true,
    is_authorized_to_maintain_liabilities: true,
    asset_type: line.code.length <= 4 ? 'credit_alphanum4' : 'credit_alphanum12',
    asset_code: line.code,
    asset_issuer: line.issuer,
  }));
  return {
    _links: {
      self: link(base, self),
      transactions: link(base, `${self}/transactions{?cursor,limit,order}`, true),
      operations: link(base, `${self}/operations{?cursor,limit,order}`, true),
      payments: link(base, `${self}/payments{?cursor,limit,order}`, true),
      effects: link(base, `${self}/effects{?cursor,limit,order}`, true),
      offers: link(base, `${self}/offers{?cursor,limit,order}`, true),
      trades: link(base, `${self}/trades{?cursor,limit,order}`, true),
      data: link(base, `${self}/data/{key}`, true),
    },
    id: account.id,
    account_id: account.id,
    sequence: account.sequence.toString(),
    sequence_ledger: account.lastModifiedLedger,
    sequence_time: String(Math.floor(closedAt.getTime() / 1000)),
    subentry_count: account.subentries,
    last_modified_ledger: account.lastModifiedLedger,
    last_modified_time: isoSeconds(closedAt),
    thresholds: {
      low_threshold: account.thresholds.low,
      med_threshold: account.thresholds.med,
      high_threshold: account.thresholds.high,
    },
    flags: {
      auth_required: account.flags.authRequired,
      auth_revocable: account.flags.authRevocable,
      auth_immutable: account.flags.authImmutable,
      auth_clawback_enabled: account.flags.authClawbackEnabled,
    },
    balances: [
      ...lines,
      {
        balance: formatStroopsFixed(account.balance),
        buying_liabilities: '0.0000000',
        selling_liabilities: '0.0000000',
        asset_type: 'native',
      },
    ],
    signers: account.signers.map((signer) => ({
      weight: signer.weight,
      key: signer.key,
      type: 'ed25519_public_key',
    })),
    data: Object.fromEntries(account.data),
    num_sponsoring: 0,
    num_sponsored: 0,
    paging_token: account.id,
  };
}

/** A transaction resource, as `GET /transactions/:hash` and a successful `POST /transactions` return it. */
export function transactionResource(base: string, tx: TransactionEntry) {
  const self = `/transactions/${tx.hash}`;
  const pagingToken = tx.pagingToken;
  return {
    _links: {
      self: link(base, self),
      account: link(base, `/accounts/${tx.sourceAccount}`),
      ledger: link(base, `/ledgers/${tx.ledger}`),
      operations: link(base, `${self}/operations{?cursor,limit,order}`, true),
      effects: link(base, `${self}/effects{?cursor,limit,order}`, true),
      precedes: link(base, `/transactions?order=asc&cursor=${pagingToken}`),
      succeeds: link(base, `/transactions?order=desc&cursor=${pagingToken}`),
      transaction: link(base, self),
    },
    id: tx.hash,
    paging_token: pagingToken,
    successful: tx.successful,
    hash: tx.hash,
    ledger: tx.ledger,
    created_at: isoSeconds(tx.createdAt),
    source_account: tx.sourceAccount,
    source_account_sequence: tx.sourceAccountSequence,
    fee_account: tx.sourceAccount,
    fee_charged: tx.feeCharged.toString(),
    max_fee: tx.maxFee.toString(),
    operation_count: tx.operationCount,
    envelope_xdr: tx.envelopeXdr,
    result_xdr: tx.resultXdr,
    fee_meta_xdr: '',
    memo_type: tx.memoType,
    ...(tx.memoBytes === undefined ? {} : { memo_bytes: tx.memoBytes }),
    ...(tx.memo === undefined ? {} : { memo: tx.memo }),
    signatures: tx.signatures,
    ...(tx.timeBounds
      ? {
          valid_after: isoSeconds(new Date(Number(tx.timeBounds.minTime) * 1000)),
          ...(tx.timeBounds.maxTime === '0'
            ? {}
            : { valid_before: isoSeconds(new Date(Number(tx.timeBounds.maxTime) * 1000)) }),
          preconditions: { timebounds: { min_time: tx.timeBounds.minTime, max_time: tx.timeBounds.maxTime } },
        }
      : {}),
  };
}

/** A ledger resource. */
export function ledgerResource(base: string, ledger: LedgerHeader, baseFee: bigint, baseReserve: bigint) {
  return {
    _links: {
      self: link(base, `/ledgers/${ledger.sequence}`),
      transactions: link(base, `/ledgers/${ledger.sequence}/transactions{?cursor,limit,order}`, true),
      operations: link(base, `/ledgers/${ledger.sequence}/operations{?cursor,limit,order}`, true),
      payments: link(base, `/ledgers/${ledger.sequence}/payments{?cursor,limit,order}`, true),
      effects: link(base, `/ledgers/${ledger.sequence}/effects{?cursor,limit,order}`, true),
    },
    id: ledger.hash,
    paging_token: (BigInt(ledger.sequence) << 32n).toString(),
    hash: ledger.hash,
    prev_hash: ledger.prevHash,
    sequence: ledger.sequence,
    successful_transaction_count: ledger.successfulTransactionCount,
    failed_transaction_count: ledger.failedTransactionCount,
    operation_count: ledger.operationCount,
    tx_set_operation_count: ledger.txSetOperationCount,
    closed_at: isoSeconds(ledger.closedAt),
    total_coins: '100000000000.0000000',
    fee_pool: '0.0000000',
    base_fee_in_stroops: Number(baseFee),
    base_reserve_in_stroops: Number(baseReserve),
    max_tx_set_size: 1000,
    protocol_version: PROTOCOL_VERSION,
  };
}

/** A page of records, with Horizon's `_embedded.records` envelope and the same link for all three. */
export function page(base: string, path: string, records: unknown[]) {
  return {
    _links: { self: link(base, path), next: link(base, path), prev: link(base, path) },
    _embedded: { records },
  };
}

/** Where a page of records was asked for, to build its links as Horizon's `hal.Page` does. */
export interface PageRequest {
  /** The request's URL: path and every query parameter are kept in the links. */
  url: URL;
  /** The cursor as resolved (`now` replaced by its id, `''` when absent). */
  cursor: string;
  order: 'asc' | 'desc';
  limit: number;
}

/**
 * A page whose `next` continues after its last record and whose `prev` goes back from its first, in
 * the inverted order; with no records both keep the request's cursor. Query parameters are
 * re-encoded in key order, as Go's `url.Values.Encode` does.
 */
export function pagedRecords(base: string, request: PageRequest, records: { paging_token: string }[]) {
  const href = (cursor: string, order: string) => {
    const query = new URLSearchParams(request.url.searchParams);
    query.set('cursor', cursor);
    query.set('order', order);
    query.set('limit', String(request.limit));
    query.sort();
    return { href: `${base}${request.url.pathname}?${query.toString()}` };
  };
  const inverted = request.order === 'asc' ? 'desc' : 'asc';
  return {
    _links: {
      self: href(request.cursor, request.order),
      next: href(records.at(-1)?.paging_token ?? request.cursor, request.order),
      prev: href(records[0]?.paging_token ?? request.cursor, inverted),
    },
    _embedded: { records },
  };
}

function assetFields(asset: AssetRef) {
  return asset.type === 'native'
    ? { asset_type: 'native' }
    : { asset_type: asset.type, asset_code: asset.code, asset_issuer: asset.issuer };
}

/**
 * A record of the payments endpoints, fields in Horizon's order (`operations.Base`, then the type's
 * own); muxed fields appear only for muxed addresses, and a muxed id of 0 is omitted as Go's
 * `omitempty` does. With `transaction`, the record embeds it (`join=transactions`).
 */
export function paymentResource(base: string, indexed: IndexedPayment, join = false) {
  const { record, transaction } = indexed;
  const id = record.id;
  const muxedId = (value: string | undefined) => (value && value !== '0' ? value : undefined);
  const common = {
    _links: {
      self: link(base, `/operations/${id}`),
      transaction: link(base, `/transactions/${record.transactionHash}`),
      effects: link(base, `/operations/${id}/effects`),
      succeeds: link(base, `/effects?order=desc&cursor=${id}`),
      precedes: link(base, `/effects?order=asc&cursor=${id}`),
    },
    id,
    paging_token: id,
    transaction_successful: record.transactionSuccessful,
    source_account: record.sourceAccount,
    ...(record.sourceAccountMuxed ? { source_account_muxed: record.sourceAccountMuxed } : {}),
    ...(muxedId(record.sourceAccountMuxedId) ? { source_account_muxed_id: record.sourceAccountMuxedId } : {}),
    type: record.type,
    type_i: record.type === 'create_account' ? 0 : 1,
    created_at: isoSeconds(transaction.createdAt),
    transaction_hash: record.transactionHash,
    ...(join ? { transaction: transactionResource(base, transaction) } : {}),
  };
  if (record.type === 'create_account') {
    return {
      ...common,
      starting_balance: formatStroopsFixed(record.startingBalance),
      funder: record.funder,
      ...(record.funderMuxed ? { funder_muxed: record.funderMuxed } : {}),
      ...(muxedId(record.funderMuxedId) ? { funder_muxed_id: record.funderMuxedId } : {}),
      account: record.account,
    };
  }
  return {
    ...common,
    ...assetFields(record.asset),
    from: record.from,
    ...(record.fromMuxed ? { from_muxed: record.fromMuxed } : {}),
    ...(muxedId(record.fromMuxedId) ? { from_muxed_id: record.fromMuxedId } : {}),
    to: record.to,
    ...(record.toMuxed ? { to_muxed: record.toMuxed } : {}),
    ...(muxedId(record.toMuxedId) ? { to_muxed_id: record.toMuxedId } : {}),
    amount: formatStroopsFixed(record.amount),
  };
}

/** The protocol the double claims to speak. */
export const PROTOCOL_VERSION = 23;

/** `GET /`. */
export function rootResource(base: string, passphrase: string, latest: LedgerHeader, elder: number) {
  return {
    _links: {
      account: link(base, '/accounts/{account_id}', true),
      fee_stats: link(base, '/fee_stats'),
      friendbot: link(base, '/friendbot{?addr}', true),
      ledger: link(base, '/ledgers/{sequence}', true),
      ledgers: link(base, '/ledgers{?cursor,limit,order}', true),
      payments: link(base, '/payments{?cursor,limit,order}', true),
      transaction: link(base, '/transactions/{hash}', true),
      transactions: link(base, '/transactions{?cursor,limit,order}', true),
    },
    horizon_version: 'horizon-double',
    core_version: 'stellar-core-double',
    ingest_latest_ledger: latest.sequence,
    history_latest_ledger: latest.sequence,
    history_latest_ledger_closed_at: isoSeconds(latest.closedAt),
    history_elder_ledger: elder,
    core_latest_ledger: latest.sequence,
    network_passphrase: passphrase,
    current_protocol_version: PROTOCOL_VERSION,
    supported_protocol_version: PROTOCOL_VERSION,
    core_supported_protocol_version: PROTOCOL_VERSION,
  };
}

const FEE_STAT_ORDER = [
  'min',
  'p10',
  'p20',
  'p30',
  'p40',
  'p50',
  'p60',
  'p70',
  'p80',
  'p90',
  'p95',
  'p99',
  'max',
] as const satisfies readonly FeeStatKey[];

/** A fee distribution as `/fee_stats` prints it: every key, decimal strings of stroops per operation. */
function feeDistribution(given: Partial<Record<FeeStatKey, bigint>>, fallback: bigint) {
  const lowest = FEE_STAT_ORDER.map((key) => given[key]).find((value) => value !== undefined);
  let current = lowest ?? fallback;
  const values = {} as Record<FeeStatKey, bigint>;
  for (const key of FEE_STAT_ORDER) {
    current = given[key] ?? current;
    values[key] = current;
  }
  values.mode = given.mode ?? values.p50;
  return Object.fromEntries(
    (['max', 'min', 'mode', ...FEE_STAT_ORDER.slice(1, -1)] as FeeStatKey[]).map((key) => [
      key,
      values[key].toString(),
    ]),
  ) as Record<FeeStatKey, string>;
}

/**
 * `GET /fee_stats`. On an idle network every percentile is at the base fee and ledgers are far from
 * full; under surge pricing they are full and transactions were charged the surge's clearing price,
 * or what the test says they were (see {@link SurgePricing}). `last_ledger_base_fee` stays the
 * protocol's base fee either way, as on the real network: surge pricing does not change it.
 */
export function feeStatsResource(latest: LedgerHeader, baseFee: bigint, surge: SurgePricing | null) {
  const charged = surge
    ? feeDistribution(surge.feeCharged ?? {}, surge.minFeePerOperation)
    : feeDistribution({}, baseFee);
  return {
    last_ledger: String(latest.sequence),
    last_ledger_base_fee: baseFee.toString(),
    ledger_capacity_usage: surge ? '1.00' : '0.00',
    fee_charged: charged,
    // Bids: at least what was charged; the double keeps no separate record of them.
    max_fee: charged,
  };
}

/** Horizon prints times to the second, UTC, with a Z. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
